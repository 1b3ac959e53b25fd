package s360

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Faults are the failures the simulator injects on demand. Each is a
// probability between 0 and 1.
type Faults struct {
	// Duplicate: an accepted payload is delivered again at the next run.
	Duplicate float64
	// Reorder: a run's documents and payloads are shuffled, so newer
	// versions and later checks can arrive before older ones.
	Reorder float64
	// ServerError: the proxy answers 502 or 503, before forwarding the
	// payload or after the receiver accepted it (the answer is lost).
	ServerError float64
	// Drop: the proxy closes the connection without answering, before or
	// after forwarding.
	Drop float64
	// Slow: the proxy forwards, then holds the answer for SlowDelay; with
	// a SlowDelay above the sender's timeout the sender gives up waiting.
	Slow      float64
	SlowDelay time.Duration
}

// DefaultSlowDelay holds a slow answer past S-360's 30-second timeout.
const DefaultSlowDelay = 35 * time.Second

// AtProxy reports whether any fault needs a proxy in front of the receiver.
func (f Faults) AtProxy() bool { return f.ServerError > 0 || f.Drop > 0 || f.Slow > 0 }

// ParseFaults reads a fault list such as
// "5xx=0.1,drop=0.05,slow=0.05,slowdelay=2s,dup=0.1,reorder=1".
// An empty string or "none" means no faults.
func ParseFaults(spec string) (Faults, error) {
	f := Faults{SlowDelay: DefaultSlowDelay}
	if strings.TrimSpace(spec) == "none" {
		return f, nil
	}
	for _, part := range strings.Split(spec, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		name, value, ok := strings.Cut(part, "=")
		if !ok {
			return f, fmt.Errorf("fault %q: want name=value, such as 5xx=0.1", part)
		}
		if name == "slowdelay" {
			d, err := time.ParseDuration(value)
			if err != nil || d <= 0 {
				return f, fmt.Errorf("fault slowdelay=%q: want a positive duration such as 2s", value)
			}
			f.SlowDelay = d
			continue
		}
		dst := f.field(name)
		if dst == nil {
			return f, fmt.Errorf("unknown fault %q: use 5xx, drop, slow, slowdelay, dup or reorder", name)
		}
		p, err := strconv.ParseFloat(value, 64)
		if err != nil || !(p >= 0 && p <= 1) { // NaN fails both
			return f, fmt.Errorf("fault %s=%q: want a probability between 0 and 1", name, value)
		}
		*dst = p
	}
	return f, nil
}

func (f *Faults) field(name string) *float64 {
	switch name {
	case "5xx":
		return &f.ServerError
	case "drop":
		return &f.Drop
	case "slow":
		return &f.Slow
	case "dup":
		return &f.Duplicate
	case "reorder":
		return &f.Reorder
	}
	return nil
}

// String renders f in the form ParseFaults reads.
func (f Faults) String() string {
	var parts []string
	add := func(name string, p float64) {
		if p > 0 {
			parts = append(parts, name+"="+strconv.FormatFloat(p, 'g', -1, 64))
		}
	}
	add("5xx", f.ServerError)
	add("drop", f.Drop)
	add("slow", f.Slow)
	if f.Slow > 0 || f.SlowDelay != DefaultSlowDelay {
		parts = append(parts, "slowdelay="+f.SlowDelay.String())
	}
	add("dup", f.Duplicate)
	add("reorder", f.Reorder)
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, ",")
}
