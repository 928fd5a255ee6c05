// Command redis serves an in-memory Redis (github.com/alicebob/miniredis) on a loopback
// address, for the Argo CD application controller and repo-server in the test harness.
// Argo CD uses Redis as a cache only (GET/SET with TTL, DEL, PUBLISH/SUBSCRIBE), and
// runs this same server itself in `argocd --core` mode.
//
//	redis -addr 127.0.0.1:6379
//
// miniredis lowers TTLs only when told to (it is made for unit tests), so a ticker
// moves them on with the wall clock: keys expire as they would in a real Redis.
package main

import (
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/alicebob/miniredis/v2"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:6379", "host:port to listen on")
	flag.Parse()

	m := miniredis.NewMiniRedis()
	if err := m.StartAddr(*addr); err != nil {
		fmt.Fprintf(os.Stderr, "redis: cannot listen on %s: %v\n", *addr, err)
		os.Exit(1)
	}
	fmt.Printf("redis: listening on %s\n", m.Addr())

	const tick = time.Second
	ticker := time.NewTicker(tick)
	defer ticker.Stop()
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGTERM, syscall.SIGINT)
	for {
		select {
		case <-ticker.C:
			m.FastForward(tick)
		case <-stop:
			m.Close()
			return
		}
	}
}
