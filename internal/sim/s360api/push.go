package s360api

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
)

// pushBucket is the most contacts in one webhook payload (S-360's CRM
// reference architecture: at most 50 per payload).
const pushBucket = 50

// PushChanged runs the contact webhook once for institution code: every
// contact changed since its last push is POSTed, as a JSON array of up to
// 50 contacts, to the institution's push URL. Contacts of a payload that
// was not answered 200 stay queued for the next run, as with S-360. It
// returns how many contacts were accepted.
func (s *Sim) PushChanged(ctx context.Context, hc *http.Client, code string) (int, error) {
	pushed := 0
	for {
		url, header, key, batch, revs := s.nextPush(code)
		if len(batch) == 0 {
			return pushed, nil
		}
		body, err := json.Marshal(batch)
		if err != nil {
			return pushed, err
		}
		if err := post(ctx, hc, url, header, key, body); err != nil {
			return pushed, err
		}
		s.pushed(code, batch, revs)
		pushed += len(batch)
	}
}

// nextPush returns the next payload to push, without dequeuing it.
func (s *Sim) nextPush(code string) (url, header, key string, batch []map[string]any, revs []int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	in, ok := s.insts[code]
	if !ok || in.PushURL == "" {
		return "", "", "", nil, nil
	}
	for _, n := range in.changed[:min(pushBucket, len(in.changed))] {
		batch = append(batch, maps.Clone(in.contacts[n]))
		revs = append(revs, in.revision[n])
	}
	return in.PushURL, in.PushHeader, in.PushKey, batch, revs
}

// pushed dequeues the contacts of an accepted payload; a contact changed
// again while its push was in flight stays queued.
func (s *Sim) pushed(code string, batch []map[string]any, revs []int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	in := s.insts[code]
	in.changed = in.changed[len(batch):]
	for i, c := range batch {
		n := c["contactNumber"].(string)
		if in.revision[n] == revs[i] {
			delete(in.isChanged, n)
		} else {
			in.changed = append(in.changed, n)
		}
	}
	in.stats.Pushed += len(batch)
}

func post(ctx context.Context, hc *http.Client, url, header, key string, body []byte) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	if header != "" {
		req.Header.Set(header, key)
	}
	resp, err := hc.Do(req)
	if err != nil {
		return fmt.Errorf("push to %s: %w", url, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("push to %s: HTTP %d", url, resp.StatusCode)
	}
	return nil
}

// SetPushURL points institution code's contact webhook at url, for a
// receiver that starts after the simulator.
func (s *Sim) SetPushURL(code, url string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if in, ok := s.insts[code]; ok {
		in.PushURL = url
	}
}
