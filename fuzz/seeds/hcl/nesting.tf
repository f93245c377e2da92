a = [[[[{ b = ((1)) }]]]]
z = provider::aws::arn_parse("x")
