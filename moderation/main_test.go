package moderation

import (
	"testing"

	"github.com/palabre/palabre/forum/forumtest"
)

// The package's tests share one database (forumtest): rules are global to
// it, so a test that creates a rule other than watched words of its own
// deletes it when it ends.
func TestMain(m *testing.M) { forumtest.Main(m) }
