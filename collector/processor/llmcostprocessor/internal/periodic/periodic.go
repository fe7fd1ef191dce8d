// Package periodic runs one function on a ticker until stopped; the
// processor polls the price table with it and the connector flushes with it.
package periodic

import (
	"sync"
	"time"
)

// Loop is a background ticker loop. The zero value is ready to Start.
type Loop struct {
	stop     chan struct{}
	done     sync.WaitGroup
	stopOnce sync.Once
}

// Start calls fn every interval in a new goroutine until Stop.
func (l *Loop) Start(interval time.Duration, fn func()) {
	l.stop = make(chan struct{})
	l.done.Add(1)
	go func() {
		defer l.done.Done()
		ticker := time.NewTicker(interval)
		defer ticker.Stop()
		for {
			select {
			case <-l.stop:
				return
			case <-ticker.C:
				fn()
			}
		}
	}()
}

// Stop ends the loop and waits for a running fn to return. It is safe to
// call more than once, and on a loop that was never started.
func (l *Loop) Stop() {
	l.stopOnce.Do(func() {
		if l.stop != nil {
			close(l.stop)
		}
	})
	l.done.Wait()
}
