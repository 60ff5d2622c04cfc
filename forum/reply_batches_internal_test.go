package forum

import (
	"errors"
	"fmt"
	"testing"

	"github.com/lib/pq"
)

// A batch that PostgreSQL refused is submitted again reply by reply; one
// that may have been committed before the connection or the server failed
// is not, or its replies could be stored twice.
func TestOnlyARefusedBatchIsSubmittedAgain(t *testing.T) {
	for _, c := range []struct {
		err  error
		want bool
	}{
		{&pq.Error{Code: "23514"}, true},                            // a check constraint
		{fmt.Errorf("storing: %w", &pq.Error{Code: "40P01"}), true}, // a deadlock, wrapped
		{&pq.Error{Code: "57014"}, true},                            // statement_timeout
		{&pq.Error{Code: "57P01"}, false},                           // the server shutting down
		{&pq.Error{Code: "08006"}, false},                           // the connection failing
		{&pq.Error{Code: "XX000"}, false},                           // an internal error
		{errors.New("read: connection reset by peer"), false},
	} {
		if got := rolledBack(c.err); got != c.want {
			t.Errorf("rolledBack(%v) = %v, want %v", c.err, got, c.want)
		}
	}
}
