package usher

// AuthMode is how an upstream authenticates its pushes to usher. S-360
// supports exactly these three for its webhooks.
type AuthMode string

// The push authentication modes S-360 offers (NONE, BASIC_AUTH, API_KEY).
const (
	AuthNone   AuthMode = "none"
	AuthBasic  AuthMode = "basic"
	AuthAPIKey AuthMode = "apikey"
)

// Policy says what a payload with invalid documents gets.
type Policy string

// The validation policies.
const (
	// PolicyQuarantine stores the valid documents, quarantines the others
	// and accepts the payload, so one bad document never makes the upstream
	// resend a whole batch until it gives up.
	PolicyQuarantine Policy = "quarantine"
	// PolicyStrict rejects the whole payload when one document is invalid.
	PolicyStrict Policy = "strict"
)

// Institution is one upstream instance (an S-360 institution code) that
// usher serves, with the credentials its pushes must carry.
type Institution struct {
	Code   string
	Auth   PushAuth
	Policy Policy
}

// PushAuth holds the credentials an upstream's pushes must present.
type PushAuth struct {
	Mode AuthMode
	// Username is the basic-auth user name.
	Username string
	// Secret is the basic-auth password or the API key.
	Secret string
	// Header is the API-key header name, such as X-Api-Key.
	Header string
}
