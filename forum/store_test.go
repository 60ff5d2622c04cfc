package forum_test

import (
	"context"
	"sync"
	"testing"

	"github.com/jmoiron/sqlx"

	"github.com/palabre/palabre/forum"
	"github.com/palabre/palabre/forum/forumtest"
)

func TestMain(m *testing.M) { forumtest.Main(m) }

func TestCreateMemberRefusesTakenAndConfusableNames(t *testing.T) {
	db := forumtest.DB(t)
	sys := forum.WithSystem(context.Background())
	name := forumtest.Unique("paul")
	if _, err := db.CreateMember(sys, forum.NewMember{Username: name, Email: name + "@example.org", Password: forumtest.Password}); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		label, username, email, code, field string
	}{
		{"same name", name, "other1@example.org", forum.ECONFLICT, "username"},
		{"other case", "PAUL" + name[4:], "other2@example.org", forum.ECONFLICT, "username"},
		{"cyrillic a lookalike", "р" + name[1:], "other3@example.org", forum.ECONFLICT, "username"}, // Cyrillic р
		{"same email other case", forumtest.Unique("xavier"), name + "@EXAMPLE.org", forum.ECONFLICT, "email"},
		{"sql-looking name", "x'; DROP TABLE members;--", "other4@example.org", forum.EINVALID, "username"},
		{"overlong name", "abcdefghijklmnopqrstuvwxyz", "other5@example.org", forum.EINVALID, "username"},
		{"invalid email", forumtest.Unique("yvette"), "not an email", forum.EINVALID, "email"},
	}
	for _, c := range cases {
		t.Run(c.label, func(t *testing.T) {
			_, err := db.CreateMember(sys, forum.NewMember{Username: c.username, Email: c.email, Password: forumtest.Password})
			fe := forum.AsError(err)
			if err == nil || fe.Code != c.code || fe.Field != c.field {
				t.Fatalf("CreateMember(%q, %q) = %v, want %s on %s", c.username, c.email, err, c.code, c.field)
			}
		})
	}
}

func TestOnlyAdminsCreateStaffAndCategories(t *testing.T) {
	db := forumtest.DB(t)
	member := forumtest.MustMember(t, db, forum.RoleMember, 2)
	mod := forumtest.MustMember(t, db, forum.RoleModerator, 2)
	admin := forumtest.MustMember(t, db, forum.RoleAdmin, 2)

	n := forumtest.Unique("z")
	if _, err := db.CreateMember(forumtest.As(mod), forum.NewMember{Username: n, Email: n + "@example.org", Password: forumtest.Password, Role: forum.RoleAdmin}); forum.ErrorCode(err) != forum.EFORBIDDEN {
		t.Errorf("moderator creating an admin: %v, want forbidden", err)
	}
	for _, tc := range []struct {
		ctx  context.Context
		code string
	}{
		{context.Background(), forum.EUNAUTHORIZED},
		{forumtest.As(member), forum.EFORBIDDEN},
		{forumtest.As(mod), forum.EFORBIDDEN},
		{forumtest.As(admin), ""},
	} {
		_, err := db.CreateCategory(tc.ctx, forum.NewCategory{Name: forumtest.Unique("Cat ")})
		if forum.ErrorCode(err) != tc.code {
			t.Errorf("CreateCategory as %v: %v, want %q", forum.MemberFrom(tc.ctx), err, tc.code)
		}
	}
}

func TestCategorySlugsAreDerivedAndUnique(t *testing.T) {
	db := forumtest.DB(t)
	sys := forum.WithSystem(context.Background())
	suffix := forumtest.Unique("")
	c, err := db.CreateCategory(sys, forum.NewCategory{Name: "Présentations & bienvenue " + suffix})
	if err != nil {
		t.Fatal(err)
	}
	if want := "presentations-bienvenue-" + suffix; c.Slug != want {
		t.Errorf("slug = %q, want %q", c.Slug, want)
	}
	_, err = db.CreateCategory(sys, forum.NewCategory{Name: "Autre", Slug: c.Slug})
	if fe := forum.AsError(err); fe.Code != forum.ECONFLICT || fe.Field != "slug" {
		t.Errorf("duplicate slug: %v", err)
	}
	_, err = db.CreateCategory(sys, forum.NewCategory{Name: "Autre", Slug: "Pas Un Slug"})
	if fe := forum.AsError(err); fe.Code != forum.EINVALID || fe.Field != "slug" {
		t.Errorf("invalid slug: %v", err)
	}
	got, err := db.CategoryBySlug(context.Background(), c.Slug)
	if err != nil || got.ID != c.ID {
		t.Errorf("CategoryBySlug = %v, %v", got, err)
	}
	if _, err := db.CategoryBySlug(context.Background(), "nope-"+suffix); forum.ErrorCode(err) != forum.ENOTFOUND {
		t.Errorf("missing category: %v", err)
	}
}

func TestAPITokensAuthenticateUntilRevokedAndAreStoredHashed(t *testing.T) {
	db := forumtest.DB(t)
	m := forumtest.MustMember(t, db, forum.RoleMember, 1)
	other := forumtest.MustMember(t, db, forum.RoleMember, 1)
	if _, err := db.CreateAPIToken(forumtest.As(other), m.ID, "steal"); forum.ErrorCode(err) != forum.EFORBIDDEN {
		t.Fatalf("creating a token for someone else: %v", err)
	}
	token, err := db.CreateAPIToken(forumtest.As(m), m.ID, "script")
	if err != nil {
		t.Fatal(err)
	}
	got, err := db.MemberByAPIToken(context.Background(), token)
	if err != nil || got.ID != m.ID {
		t.Fatalf("MemberByAPIToken = %v, %v", got, err)
	}
	var stored int
	if err := db.SQL().Get(&stored, `SELECT count(*) FROM api_tokens WHERE token_hash = convert_to($1, 'UTF8')`, token); err != nil {
		t.Fatal(err)
	}
	if stored != 0 {
		t.Error("the plain token is stored")
	}
	db.SQL().MustExec(`UPDATE api_tokens SET revoked_at = now() WHERE member_id = $1`, m.ID)
	if _, err := db.MemberByAPIToken(context.Background(), token); forum.ErrorCode(err) != forum.EUNAUTHORIZED {
		t.Errorf("revoked token: %v", err)
	}
	if _, err := db.MemberByAPIToken(context.Background(), "plb_nonsense"); forum.ErrorCode(err) != forum.EUNAUTHORIZED {
		t.Errorf("unknown token: %v", err)
	}
}

// Concurrent replies must get distinct consecutive numbers and leave the
// thread's counter right.
func TestConcurrentRepliesKeepNumbersAndCountersRight(t *testing.T) {
	db := forumtest.DB(t)
	author := forumtest.MustMember(t, db, forum.RoleMember, 2)
	cat := forumtest.MustCategory(t, db)
	ctx := forumtest.As(author)
	var th *forum.Thread
	err := db.InTx(ctx, func(tx *sqlx.Tx) error {
		var err error
		th, _, err = forum.CreateThreadTx(ctx, tx, forum.NewThread{CategoryID: cat.ID, AuthorID: author.ID, Title: "Concurrence",
			BodyMarkdown: "x", BodyHTML: "<p>x</p>", Status: forum.StatusPublished})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	const replies = 40
	var wg sync.WaitGroup
	errs := make(chan error, replies)
	for i := range replies {
		wg.Add(1)
		go func() {
			defer wg.Done()
			status := forum.StatusPublished
			if i%4 == 0 {
				status = forum.StatusHeld // held posts are numbered but not counted
			}
			errs <- db.InTx(ctx, func(tx *sqlx.Tx) error {
				_, err := forum.CreateReplyTx(ctx, tx, forum.NewReply{ThreadID: th.ID, AuthorID: author.ID,
					BodyMarkdown: "r", BodyHTML: "<p>r</p>", Status: status})
				return err
			})
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	var numbers []int
	if err := db.SQL().Select(&numbers, `SELECT number FROM posts WHERE thread_id = $1 ORDER BY number`, th.ID); err != nil {
		t.Fatal(err)
	}
	for i, n := range numbers {
		if n != i+1 {
			t.Fatalf("post numbers = %v, want 1..%d without gaps or repeats", numbers, replies+1)
		}
	}
	var count int
	if err := db.SQL().Get(&count, `SELECT post_count FROM threads WHERE id = $1`, th.ID); err != nil {
		t.Fatal(err)
	}
	if want := 1 + replies - replies/4; count != want {
		t.Errorf("post_count = %d, want %d", count, want)
	}
}

func TestModLogIsAppendOnly(t *testing.T) {
	db := forumtest.DB(t)
	var id int64
	if err := db.SQL().Get(&id, `INSERT INTO mod_log (action, reason) VALUES ('test', 'why') RETURNING id`); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		`UPDATE mod_log SET reason = 'rewritten' WHERE id = $1`,
		`DELETE FROM mod_log WHERE id = $1`,
	} {
		if _, err := db.SQL().Exec(q, id); err == nil {
			t.Errorf("%s succeeded on the append-only log", q)
		}
	}
	if _, err := db.SQL().Exec(`TRUNCATE mod_log`); err == nil {
		t.Error("TRUNCATE succeeded on the append-only log")
	}
}

func TestSlugify(t *testing.T) {
	for in, want := range map[string]string{
		"Présentations & bienvenue !": "presentations-bienvenue",
		"  Cœur d’œuvre  ":            "coeur-d-oeuvre",
		"Straße":                      "strasse",
		"Привет":                      "",
		"C'est l'été 2026":            "c-est-l-ete-2026",
	} {
		if got := forum.Slugify(in); got != want {
			t.Errorf("Slugify(%q) = %q, want %q", in, got, want)
		}
	}
}

// A category's thread count follows its published threads: created, held,
// published later, deleted, moved.
func TestCategoryThreadCountsFollowThreads(t *testing.T) {
	db := forumtest.DB(t)
	a, b := forumtest.MustCategory(t, db), forumtest.MustCategory(t, db)
	author := forumtest.MustMember(t, db, forum.RoleMember, 2)
	ctx := forumtest.As(author)
	count := func(c *forum.Category) int {
		got, err := db.CategoryBySlug(context.Background(), c.Slug)
		if err != nil {
			t.Fatal(err)
		}
		return got.ThreadCount
	}
	create := func(status string) *forum.Thread {
		var th *forum.Thread
		if err := db.InTx(ctx, func(tx *sqlx.Tx) error {
			var err error
			th, _, err = forum.CreateThreadTx(ctx, tx, forum.NewThread{CategoryID: a.ID, AuthorID: author.ID, Title: "Compte",
				BodyMarkdown: "x", BodyHTML: "<p>x</p>", Status: status})
			return err
		}); err != nil {
			t.Fatal(err)
		}
		return th
	}
	create(forum.StatusPublished)
	held := create(forum.StatusHeld)
	if n := count(a); n != 1 {
		t.Errorf("after one published and one held thread: %d", n)
	}
	db.SQL().MustExec(`UPDATE threads SET status = 'published' WHERE id = $1`, held.ID)
	db.SQL().MustExec(`UPDATE threads SET pinned = true WHERE id = $1`, held.ID) // not a change of status
	if n := count(a); n != 2 {
		t.Errorf("after approval: %d", n)
	}
	db.SQL().MustExec(`UPDATE threads SET category_id = $2 WHERE id = $1`, held.ID, b.ID)
	if na, nb := count(a), count(b); na != 1 || nb != 1 {
		t.Errorf("after a move: %d and %d", na, nb)
	}
	db.SQL().MustExec(`UPDATE threads SET status = 'deleted' WHERE id = $1`, held.ID)
	if nb := count(b); nb != 0 {
		t.Errorf("after deletion: %d", nb)
	}
}
