a = "unterminated
b = [1, 2
