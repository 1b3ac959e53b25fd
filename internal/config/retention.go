package config

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/usher-hub/usher"
)

// Defaults of the background pruner.
const (
	DefaultPruneInterval  = time.Hour
	DefaultPruneBatchSize = 100
	// maxPruneBatchSize is the store's bound on one batch
	// (store.MaxPruneBatch).
	maxPruneBatchSize = 5000
	// DefaultPruneBusyShareSQLite and DefaultPruneBusySharePostgres are
	// pruning.busy_share's defaults (percent). On SQLite a batch holds the
	// single writer every push needs; on PostgreSQL it holds no lock a
	// push needs, and only shares the machine (docs/performance.md).
	DefaultPruneBusyShareSQLite   = 10
	DefaultPruneBusySharePostgres = 50
)

// PruneBusyShare is pruning.busy_share as a fraction, its default (0)
// being the database engine's.
func (c Config) PruneBusyShare() float64 {
	share := c.Pruning.BusyShare
	if share == 0 {
		share = DefaultPruneBusyShareSQLite
		if !strings.HasPrefix(c.Database, "sqlite:") {
			share = DefaultPruneBusySharePostgres
		}
	}
	return float64(share) / 100
}

// Retention says how long an institution's stored rows are kept, stream
// by stream. A setting left out (or 0) keeps them forever, as usher
// always has; the current version of a document is kept whatever this
// says.
type Retention struct {
	Contacts     VersionRetention `yaml:"contacts,omitempty"`
	Orders       VersionRetention `yaml:"orders,omitempty"`
	TicketChecks CheckRetention   `yaml:"ticketchecks,omitempty"`
}

// VersionRetention is the retention of a versioned stream (contacts,
// orders).
type VersionRetention struct {
	// SupersededVersions is how long a version is kept once a newer one
	// was received.
	SupersededVersions Age `yaml:"superseded_versions,omitempty"`
	// Quarantined is how long a quarantined document of the stream is kept
	// after it was last pushed.
	Quarantined Age `yaml:"quarantined,omitempty"`
}

// CheckRetention is the retention of the ticket checks' stream.
type CheckRetention struct {
	// Checks is how long a ticket check is kept after it was received.
	Checks Age `yaml:"checks,omitempty"`
	// Quarantined is as in VersionRetention.
	Quarantined Age `yaml:"quarantined,omitempty"`
}

// Pruning paces the background pruner, which runs when any institution
// has a retention setting.
type Pruning struct {
	// Interval is the time between two runs. Default 1h.
	Interval time.Duration `yaml:"interval"`
	// BatchSize is how many rows one transaction examines (1–5000): the
	// longest SQLite's single writer is held by pruning. Default 100: with
	// 500, SQLite's push p99 under full load rose by 101 %, with 100 by 19 %
	// (docs/performance.md); PostgreSQL venues may set 500 for the rate.
	BatchSize int `yaml:"batch_size"`
	// BusyShare is the percentage of the time (1–100) pruning batches may
	// hold the database while pushes are busy (retention.Pacer): after a
	// batch that held it for d the pruner waits d*(100-BusyShare)/BusyShare
	// less the time the batch queued for it (within 5 ms and 1 s), and
	// not at all while pushes are quiet; 100 never waits. Default 10 on
	// SQLite, 50 on PostgreSQL (0: the engine's default,
	// Config.PruneBusyShare).
	BusyShare int `yaml:"busy_share"`
}

// Age is a retention time: a Go duration (720h, 90m) or whole days (90d).
type Age time.Duration

// UnmarshalYAML reads 90d, 720h or 0.
func (a *Age) UnmarshalYAML(n *yaml.Node) error {
	v, err := ParseAge(n.Value)
	if err != nil {
		return fmt.Errorf("line %d: %w", n.Line, err)
	}
	*a = v
	return nil
}

// MarshalYAML writes whole days as 90d, other times as a Go duration.
func (a Age) MarshalYAML() (any, error) { return a.String(), nil }

func (a Age) String() string {
	d := time.Duration(a)
	if d != 0 && d%(24*time.Hour) == 0 {
		return strconv.FormatInt(int64(d/(24*time.Hour)), 10) + "d"
	}
	return d.String()
}

// ParseAge parses 90d, 720h or 0.
func ParseAge(s string) (Age, error) {
	s = strings.TrimSpace(s)
	if days, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.ParseInt(days, 10, 64)
		if err != nil || n > 100*365 {
			return 0, fmt.Errorf("%q is not a number of days such as 90d", s)
		}
		return Age(time.Duration(n) * 24 * time.Hour), nil
	}
	if s == "0" {
		return 0, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("%q is not a retention time such as 90d or 720h", s)
	}
	return Age(d), nil
}

// rules returns the rules an institution's retention sets.
func (r Retention) rules(institution string) []usher.RetentionRule {
	var out []usher.RetentionRule
	add := func(stream usher.Stream, kind usher.RetentionKind, keep Age) {
		if keep != 0 {
			out = append(out, usher.RetentionRule{Institution: institution, Stream: stream, Kind: kind, Keep: time.Duration(keep)})
		}
	}
	add(usher.StreamContacts, usher.RetainSuperseded, r.Contacts.SupersededVersions)
	add(usher.StreamContacts, usher.RetainQuarantined, r.Contacts.Quarantined)
	add(usher.StreamOrders, usher.RetainSuperseded, r.Orders.SupersededVersions)
	add(usher.StreamOrders, usher.RetainQuarantined, r.Orders.Quarantined)
	add(usher.StreamTicketChecks, usher.RetainChecks, r.TicketChecks.Checks)
	add(usher.StreamTicketChecks, usher.RetainQuarantined, r.TicketChecks.Quarantined)
	return out
}

// RetentionRules returns every institution's retention rules; none means
// nothing is ever pruned.
func (c Config) RetentionRules() []usher.RetentionRule {
	var out []usher.RetentionRule
	for _, inst := range c.Institutions {
		out = append(out, inst.Retention.rules(inst.Code)...)
	}
	return out
}

// settingName is the path of a rule's setting in an institution block.
func settingName(r usher.RetentionRule) string {
	return fmt.Sprintf("retention.%s.%s", r.Stream, r.Kind)
}

func (c Config) validateRetention() error {
	for i, inst := range c.Institutions {
		for _, r := range inst.Retention.rules(inst.Code) {
			if r.Keep < time.Minute {
				return fmt.Errorf("institutions[%d] (%s): %s must be at least 1m (write 0 or leave it out to keep forever), got %s",
					i, inst.Code, settingName(r), Age(r.Keep))
			}
		}
	}
	p := c.Pruning
	if p.Interval < time.Second {
		return fmt.Errorf("pruning.interval must be a duration of at least 1s such as 1h (0 for the default %s), got %s", DefaultPruneInterval, p.Interval)
	}
	if p.BatchSize < 1 || p.BatchSize > maxPruneBatchSize {
		return fmt.Errorf("pruning.batch_size must be 1 to %d (0 for the default %d), got %d", maxPruneBatchSize, DefaultPruneBatchSize, p.BatchSize)
	}
	if p.BusyShare < 0 || p.BusyShare > 100 {
		return fmt.Errorf("pruning.busy_share must be a percentage, 1 to 100 (0 for the default %d on SQLite, %d on PostgreSQL), got %d",
			DefaultPruneBusyShareSQLite, DefaultPruneBusySharePostgres, p.BusyShare)
	}
	return nil
}
