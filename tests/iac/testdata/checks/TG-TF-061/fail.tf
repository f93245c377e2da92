resource "aws_lb" "web" {
  load_balancer_type = "application"
}
