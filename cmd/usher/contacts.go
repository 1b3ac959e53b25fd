package main

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/usher-hub/usher"
	"github.com/usher-hub/usher/internal/privacy"
)

// runContacts serves `usher contacts forget|erasures`.
func runContacts(ctx context.Context, e env, args []string) error {
	if len(args) == 0 {
		return fmt.Errorf("usage: usher contacts forget --institution CODE --actor NAME [--reason TEXT] CONTACT_NUMBER | usher contacts erasures --institution CODE")
	}
	sub, args := args[0], args[1:]
	fs, cf := commandFlags("contacts "+sub, e)
	institution := fs.String("institution", "", "institution code (required)")
	actor := fs.String("actor", e.getenv("USER"), "who asks for the erasure, kept in the audit record")
	reason := fs.String("reason", "", "why (a request reference), kept in the audit record")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *institution == "" {
		return fmt.Errorf("contacts %s: --institution is required", sub)
	}
	_, st, err := cf.openStore(ctx, e)
	if err != nil {
		return err
	}
	defer st.Close()
	switch sub {
	case "forget":
		if fs.NArg() != 1 || *actor == "" {
			return fmt.Errorf("contacts forget: give one contact number and --actor")
		}
		erasure, err := st.ForgetContact(ctx, usher.Erasure{Institution: *institution, ContactNumber: fs.Arg(0), Actor: *actor, Reason: *reason}, privacy.Redact)
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "erased contact %s of %s: %d contact versions, %d order versions rewritten; audit recorded at %s\n",
			erasure.ContactNumber, erasure.Institution, erasure.Rewritten["contact_versions"], erasure.Rewritten["order_versions"], erasure.ErasedAt.Format(time.RFC3339))
		fmt.Fprintln(e.stdout, "Erase the contact in the ticketing system too, or it will be pushed again.")
		return nil
	case "erasures":
		list, err := st.Erasures(ctx, *institution)
		if err != nil {
			return err
		}
		enc := json.NewEncoder(e.stdout)
		for _, er := range list {
			if err := enc.Encode(er); err != nil {
				return err
			}
		}
		return nil
	default:
		return fmt.Errorf("contacts: unknown subcommand %q (forget, erasures)", sub)
	}
}
