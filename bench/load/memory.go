package load

import (
	"bufio"
	"os"
	"runtime"
	"strconv"
	"strings"
	"time"
)

// ResetPeakRSS starts a new peak for PeakRSS: writing 5 to
// /proc/self/clear_refs resets the process's VmHWM to its current
// resident size (Linux 4.0 and later). It reports whether it could.
func ResetPeakRSS() bool {
	return os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) == nil
}

// PeakRSS returns the process's peak resident set size in bytes since it
// started or since ResetPeakRSS (VmHWM in /proc/self/status), and the
// current one (VmRSS); zeros where the system cannot say.
func PeakRSS() (peak, now int64) {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0, 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if !ok || (k != "VmHWM" && k != "VmRSS") {
			continue
		}
		kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
		if k == "VmHWM" {
			peak = kb << 10
		} else {
			now = kb << 10
		}
	}
	return peak, now
}

// HeapPeak samples the Go heap in use (runtime.MemStats.HeapInuse) every
// interval until stop is called, which returns the highest sample and the
// first: in this process the server's requests, decoded documents and
// connection buffers, and the senders' requests, over what was resident
// when sampling began.
func HeapPeak(interval time.Duration) (stop func() (peak, start uint64)) {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	start, peak := ms.HeapInuse, ms.HeapInuse
	done, finished := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(finished)
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				var ms runtime.MemStats
				runtime.ReadMemStats(&ms)
				peak = max(peak, ms.HeapInuse)
			}
		}
	}()
	return func() (uint64, uint64) {
		close(done)
		<-finished
		return peak, start
	}
}
