package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"slices"
	"time"

	"github.com/usher-hub/usher"
	"github.com/usher-hub/usher/internal/privacy"
)

// runContacts serves `usher contacts forget|erasures|import`.
func runContacts(ctx context.Context, e env, args []string) error {
	subs := []string{"forget", "erasures", "import"}
	if len(args) > 0 && args[0] == "import" {
		return runContactsImport(ctx, e, args[1:])
	}
	if len(args) == 0 || !slices.Contains(subs, args[0]) {
		return groupUsage(ctx, e, "contacts", args, subs, runContacts)
	}
	sub, args := args[0], args[1:]
	fs, cf, o := contactsFlags(sub, e)
	if err := parseFlags(fs, e, args); err != nil {
		return err
	}
	institution, actor, reason := &o.institution, &o.actor, &o.reason
	if *institution == "" {
		return usagef("contacts %s: --institution is required", sub)
	}
	_, st, err := cf.openStore(ctx, e)
	if err != nil {
		return err
	}
	defer st.Close()
	switch sub {
	case "forget":
		if fs.NArg() != 1 || *actor == "" {
			return usagef("contacts forget: give one contact number and --actor")
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
	}
	return nil
}

type contactsOptions struct{ institution, actor, reason string }

// contactsFlags are the flags of `usher contacts SUB`.
func contactsFlags(sub string, e env) (*flag.FlagSet, *configFlags, *contactsOptions) {
	fs, cf := commandFlags("contacts "+sub, e)
	o := &contactsOptions{}
	fs.StringVar(&o.institution, "institution", "", "institution code (required)")
	if sub == "forget" {
		fs.StringVar(&o.actor, "actor", e.getenv("USER"), "who asks for the erasure, kept in the audit record (default $USER)")
		fs.StringVar(&o.reason, "reason", "", "why (a request reference), kept in the audit record")
	}
	return fs, cf, o
}
