package forum_test

import (
	"context"
	"testing"

	"github.com/palabre/palabre/forum"
	"github.com/palabre/palabre/forum/forumtest"
)

// Members who signed up post once they have confirmed their address; the
// accounts an admin created, and staff, need not confirm theirs.
func TestMembersWhoSignedUpConfirmTheirAddressBeforeTheyPost(t *testing.T) {
	db := forumtest.DB(t)
	ctx := context.Background()
	if _, err := db.SQL().ExecContext(ctx, `INSERT INTO guideline_versions (version, body_markdown, body_html)
		VALUES (1, 'Soyez aimables.', '<p>Soyez aimables.</p>') ON CONFLICT DO NOTHING`); err != nil {
		t.Fatal(err)
	}
	g, err := db.CurrentGuidelines(ctx)
	if err != nil || g == nil {
		t.Fatalf("guidelines: %v %v", g, err)
	}
	name := forumtest.Unique("Inès_")
	res, err := db.SignUp(ctx, forum.SignUpRequest{Username: name, Email: name + "@example.org",
		Password: "une rivière tranquille", AcceptGuidelinesVersion: &g.Version, Locale: "fr", ClientIP: "192.0.2.7"})
	if err != nil || res.Member == nil {
		t.Fatalf("sign-up: %+v %v", res, err)
	}
	signedUp := res.Member
	if !signedUp.MustConfirmEmail() {
		t.Fatalf("a member who just signed up need not confirm: %+v", signedUp)
	}
	_, err = db.RequirePoster(forumtest.As(signedUp))
	if fe := forum.AsError(err); fe.Code != forum.EFORBIDDEN || fe.Key != "auth.confirm_email_to_post" || fe.Args["Email"] != signedUp.Email {
		t.Errorf("unconfirmed poster: %v %+v", err, fe)
	}

	var token string
	if err := db.SQL().GetContext(ctx, &token, `SELECT data->>'Token' FROM outbox WHERE recipient = $1 AND kind = 'verify_email'`,
		signedUp.Email); err != nil {
		t.Fatal(err)
	}
	confirmed, err := db.VerifyEmail(ctx, token)
	if err != nil {
		t.Fatal(err)
	}
	if confirmed.MustConfirmEmail() {
		t.Errorf("confirmed, still asked to confirm: %+v", confirmed)
	}
	if _, err := db.RequirePoster(forumtest.As(confirmed)); err != nil {
		t.Errorf("confirmed poster: %v", err)
	}

	// An account an admin created posts at once; a member's own does not.
	created := forumtest.MustUnconfirmedMember(t, db, forum.RoleMember, 0)
	if !created.EmailConfirmationWaived || created.EmailVerifiedAt != nil {
		t.Errorf("account created by the system: %+v", created)
	}
	if _, err := db.RequirePoster(forumtest.As(created)); err != nil {
		t.Errorf("account created by an admin: %v", err)
	}
	byMember, err := db.CreateMember(forumtest.As(confirmed), forum.NewMember{Username: forumtest.Unique("Ami_"),
		Email: forumtest.Unique("ami") + "@example.org", Password: forumtest.Password})
	if err != nil {
		t.Fatal(err)
	}
	if byMember.EmailConfirmationWaived {
		t.Errorf("an account created by a member skips the confirmation")
	}

	// Staff post without confirming: an admin may promote a member who
	// never did.
	db.SQL().MustExec(`UPDATE members SET role = 'moderator', email_verified_at = NULL WHERE id = $1`, confirmed.ID)
	mod, err := db.MemberByID(ctx, confirmed.ID)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.RequirePoster(forumtest.As(mod)); err != nil {
		t.Errorf("unconfirmed moderator: %v", err)
	}
}
