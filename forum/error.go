package forum

import (
	"errors"
	"fmt"
	"time"
)

// Error codes: the class of a domain error. The server maps each one to an
// HTTP status in one table; the JSON API shows it as error.code.
const (
	EINVALID      = "invalid"      // the input breaks a rule of the domain
	ENOTFOUND     = "not_found"    // the thing does not exist or is not visible to the actor
	EUNAUTHORIZED = "unauthorized" // the actor must sign in
	EFORBIDDEN    = "forbidden"    // the actor is known but may not do this
	ECONFLICT     = "conflict"     // the state changed under the actor, or a uniqueness clash
	ETOOLARGE     = "too_large"    // the input is larger than allowed
	ERATELIMITED  = "rate_limited" // the actor must wait before trying again
	EREJECTED     = "rejected"     // the community guidelines refuse the text
	EUNAVAILABLE  = "unavailable"  // a dependency (the database) is not reachable
	EINTERNAL     = "internal"     // a bug or an unexpected failure: details are logged, never shown
	// The member must accept the current guidelines before posting (the
	// error's Version argument says which).
	EGUIDELINES = "guidelines_not_accepted"
	// The author of a thread others replied to may withdraw their first
	// post, not delete the thread.
	ETHREADREPLIED = "thread_has_replies"
)

// Error is a domain error: a code for machines, a translation key and its
// arguments for people, and the cause for the log.
type Error struct {
	Code  string         // one of the E* constants
	Key   string         // message id in the translation catalogues
	Args  map[string]any // values interpolated into the message
	Field string         // the form field at fault, if any
	Err   error          // the underlying cause; logged, never shown to clients
	// Rules are the guideline rules that refused the text (EREJECTED).
	Rules []RuleRef
	// RetryAfter is when trying again may succeed (ERATELIMITED,
	// EUNAVAILABLE); the server sends it as Retry-After. Zero: not known.
	RetryAfter time.Duration
	// Others are the errors of the form's other fields, found with this
	// one: a form is checked whole, and its author sees every mistake at
	// once (FieldErrors).
	Others []*Error
}

// FieldErrors joins the errors of a form's fields checked one after the
// other: nil when all are nil; otherwise the first, carrying the others.
// An error that names no field (the database failing) is returned alone.
func FieldErrors(errs ...error) error {
	var first *Error
	for _, err := range errs {
		if err == nil {
			continue
		}
		var fe *Error
		if !errors.As(err, &fe) || fe.Field == "" {
			return err
		}
		if first == nil {
			c := *fe
			first = &c
			continue
		}
		first.Others = append(first.Others, fe)
	}
	if first == nil {
		return nil
	}
	return first
}

// After returns a copy of e that tells to try again after d.
func (e *Error) After(d time.Duration) *Error {
	c := *e
	c.RetryAfter = d
	return &c
}

// RuleRef names a guideline rule, for the author of a text it refused.
type RuleRef struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
}

// WithRules returns a copy of e that names the rules that refused the text.
func (e *Error) WithRules(rules []RuleRef) *Error {
	c := *e
	c.Rules = rules
	return &c
}

// Errorf returns a domain error with a code, a message key and its arguments.
func Errorf(code, key string, args map[string]any) *Error {
	return &Error{Code: code, Key: key, Args: args}
}

// OnField returns a copy of e that names the form field at fault.
func (e *Error) OnField(field string) *Error {
	c := *e
	c.Field = field
	return &c
}

// Error implements the error interface for logs.
func (e *Error) Error() string {
	s := e.Code + ": " + e.Key
	if e.Field != "" {
		s += " (field " + e.Field + ")"
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Unwrap gives errors.Is and errors.As the cause.
func (e *Error) Unwrap() error { return e.Err }

// Internal wraps an unexpected failure with what was being done.
func Internal(op string, err error) error {
	if err == nil {
		return nil
	}
	var fe *Error
	if errors.As(err, &fe) {
		return err
	}
	if statementCancelled(err) {
		// Past its purpose's statement_timeout (bounded.go): the
		// database's work was bounded, the request is answered 503.
		return &Error{Code: EUNAVAILABLE, Key: "error.statement_timeout", Err: fmt.Errorf("%s: %w", op, err)}
	}
	return &Error{Code: EINTERNAL, Key: "error.internal", Err: fmt.Errorf("%s: %w", op, err)}
}

// ErrorCode returns the code of a domain error, EINTERNAL for any other error
// and "" for nil.
func ErrorCode(err error) string {
	if err == nil {
		return ""
	}
	var fe *Error
	if errors.As(err, &fe) {
		return fe.Code
	}
	return EINTERNAL
}

// AsError returns err as a domain error; errors that are not get EINTERNAL.
func AsError(err error) *Error {
	var fe *Error
	if errors.As(err, &fe) {
		return fe
	}
	return &Error{Code: EINTERNAL, Key: "error.internal", Err: err}
}
