package load

import (
	"context"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/usher-hub/usher"
)

// ProcessCPU returns the CPU time this process has used so far, user and
// system, or 0 where the system cannot say.
func ProcessCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// CPUUsed reads the CPU time used so far by this process and by the
// PostgreSQL backends serving st (see BackendCPU), for CPUSince.
func CPUUsed(ctx context.Context, st usher.Store) Cost {
	return Cost{Process: ProcessCPU(), Backend: BackendCPU(ctx, st)}
}

// CPUSince returns the CPU time used since the reading from (CPUUsed),
// with Wall left zero.
func CPUSince(ctx context.Context, st usher.Store, from Cost) Cost {
	now := CPUUsed(ctx, st)
	return Cost{Process: now.Process - from.Process, Backend: now.Backend - from.Backend}
}

// BackendCPU returns the CPU time used so far by the PostgreSQL backends
// serving st's database, read from /proc: PostgreSQL must run on this
// machine, and the backends must still be connected (read it before
// closing the store). It is 0 for SQLite, whose work is in ProcessCPU.
func BackendCPU(ctx context.Context, st usher.Store) time.Duration {
	db, ok := engine(st).(postgresDB)
	if !ok {
		return 0
	}
	return poolBackendCPU(ctx, db.Pool())
}

// poolBackendCPU is BackendCPU for the database pool is connected to.
func poolBackendCPU(ctx context.Context, pool *pgxpool.Pool) time.Duration {
	rows, err := pool.Query(ctx, `SELECT pid FROM pg_stat_activity WHERE datname = current_database()`)
	if err != nil {
		return 0
	}
	defer rows.Close()
	var total time.Duration
	for rows.Next() {
		var pid int
		if rows.Scan(&pid) == nil {
			total += procCPU(pid)
		}
	}
	return total
}

// clockTicks is USER_HZ, the unit of /proc/PID/stat times on Linux.
const clockTicks = 100

// procCPU reads utime+stime of a process from /proc/PID/stat.
func procCPU(pid int) time.Duration {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0
	}
	// Fields after the command name, which is in parentheses and may hold spaces.
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	if len(f) < 13 {
		return 0
	}
	utime, _ := strconv.ParseInt(f[11], 10, 64)
	stime, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(utime+stime) * time.Second / clockTicks
}
