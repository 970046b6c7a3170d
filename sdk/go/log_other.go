//go:build !wasip1

package wasmhose

import (
	"fmt"
	"os"
)

// Log sends a log line to the service's log, attributed to the plugin. In a
// native build (unit tests of plugin logic) it writes to standard error.
func Log(level Level, msg string) {
	fmt.Fprintf(os.Stderr, "wasmhose plugin log level=%d: %s\n", level, msg)
}
