package forum_test

import (
	"context"
	"testing"

	"github.com/palabre/palabre/forum"
	"github.com/palabre/palabre/forum/forumtest"
)

func TestRolesAndCategoryModerators(t *testing.T) {
	db := forumtest.DB(t)
	adminM := forumtest.MustMember(t, db, forum.RoleAdmin, 4)
	admin := forumtest.As(adminM)
	member := forumtest.MustMember(t, db, forum.RoleMember, 2)
	cat, other := forumtest.MustCategory(t, db), forumtest.MustCategory(t, db)

	// Only admins appoint, and not themselves.
	if err := db.SetRole(forumtest.As(forumtest.MustMember(t, db, forum.RoleModerator, 3)), member.ID, forum.RoleModerator); forum.ErrorCode(err) != forum.EFORBIDDEN {
		t.Errorf("moderator sets a role: %v", err)
	}
	if err := db.SetRole(admin, adminM.ID, forum.RoleMember); forum.ErrorCode(err) != forum.EFORBIDDEN {
		t.Errorf("admin demotes themselves: %v", err)
	}
	if err := db.SetRole(admin, member.ID, "overlord"); forum.ErrorCode(err) != forum.EINVALID {
		t.Errorf("unknown role: %v", err)
	}
	if err := db.SetCategoryModerator(forumtest.As(member), member.ID, cat.ID, true); forum.ErrorCode(err) != forum.EFORBIDDEN {
		t.Errorf("member appoints themselves: %v", err)
	}
	if err := db.SetCategoryModerator(admin, member.ID, -5, true); forum.ErrorCode(err) != forum.ENOTFOUND {
		t.Errorf("unknown category: %v", err)
	}

	can := func(ctx context.Context, id int64) bool {
		t.Helper()
		ok, err := db.CanModerateCategory(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		return ok
	}
	if can(forumtest.As(member), cat.ID) || can(context.Background(), cat.ID) {
		t.Error("a plain member or a visitor moderates")
	}
	if err := db.SetCategoryModerator(admin, member.ID, cat.ID, true); err != nil {
		t.Fatal(err)
	}
	if !can(forumtest.As(member), cat.ID) || can(forumtest.As(member), other.ID) {
		t.Error("category moderator: wrong categories")
	}
	if err := db.RequireCategoryModerator(forumtest.As(member), other.ID); forum.ErrorCode(err) != forum.EFORBIDDEN {
		t.Errorf("RequireCategoryModerator elsewhere: %v", err)
	}
	cats, err := db.ModeratedCategories(context.Background(), member.ID)
	if err != nil || len(cats) != 1 || cats[0].ID != cat.ID {
		t.Errorf("moderated categories: %v %+v", err, cats)
	}
	if err := db.SetCategoryModerator(admin, member.ID, cat.ID, false); err != nil || can(forumtest.As(member), cat.ID) {
		t.Errorf("removing a category moderator: %v", err)
	}

	// A global moderator moderates everything.
	if err := db.SetRole(admin, member.ID, forum.RoleModerator); err != nil {
		t.Fatal(err)
	}
	if got := reload(t, db, member); got.Role != forum.RoleModerator || !can(forumtest.As(got), other.ID) {
		t.Errorf("after promotion: %+v", got)
	}
	var actions []string
	if err := db.SQL().SelectContext(context.Background(), &actions, `SELECT action FROM mod_log WHERE target_type = 'member' AND target_id = $1 ORDER BY id`, member.ID); err != nil {
		t.Fatal(err)
	}
	want := []string{"member.category_moderator_add", "member.category_moderator_remove", "member.role"}
	if len(actions) != len(want) {
		t.Fatalf("log: %v, want %v", actions, want)
	}
	for i := range want {
		if actions[i] != want[i] {
			t.Errorf("log: %v, want %v", actions, want)
		}
	}
}
