// Command benchbaseline is the yardstick of `make bench`: a Gin hello-world
// handler on the same machine, measured in the same run, so that Palabre's
// figures are read as ratios that survive a change of machine.
package main

import (
	"fmt"
	"net/http"
	"os"

	"github.com/gin-gonic/gin"
)

func main() {
	gin.SetMode(gin.ReleaseMode)
	e := gin.New()
	e.GET("/", func(c *gin.Context) { c.String(http.StatusOK, "hello") })
	addr := os.Getenv("LISTEN")
	if addr == "" {
		addr = "127.0.0.1:18081"
	}
	if err := http.ListenAndServe(addr, e); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
