module example.com/svc

go 1.21

toolchain go1.21.3

require golang.org/x/text v0.3.5

require (
	github.com/gin-gonic/gin v1.6.0
	gopkg.in/yaml.v2 v2.2.2 // indirect
)
