resource "aws_kinesis_stream" "events" {
  name        = "payments-events"
  shard_count = 1
}
