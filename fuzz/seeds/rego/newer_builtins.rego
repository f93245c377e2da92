package p
import rego.v1
g := graphql.is_valid("{ a }", "type Query { a: Int }")
s := json.match_schema({"a": 1}, {"properties": {"a": {"type": "string"}}})
t := strings.render_template("{{range $i, $x := .xs}}{{$i}}={{$x}};{{end}}", {"xs": [1, 2]})
m := regex.globs_match("a.*", "ab+")
b := 18446744073709551617 * 3
w := [p | [p, v] := walk({"a": [1]})]
