package forum

import (
	"context"

	"github.com/jmoiron/sqlx"
)

// AdminMemberChange is what an admin changes of a member at once; nil
// fields are left as they are.
type AdminMemberChange struct {
	Role             *Role
	TrustLevel       *int // set by hand, and locked
	UnlockTrustLevel bool // hands the trust level back to the promotion job (without TrustLevel)
	// ModeratedCategories are the categories the member moderates, exactly.
	ModeratedCategories *[]int64
}

// ChangeMember applies an admin's change to a member in one transaction:
// all of it, or nothing when any part is refused (a valid role must not be
// stored beside a refused trust level).
func (db *DB) ChangeMember(ctx context.Context, memberID int64, c AdminMemberChange) error {
	if err := RequireAdmin(ctx); err != nil {
		return err
	}
	if c.Role != nil {
		if err := checkRole(ctx, memberID, *c.Role); err != nil {
			return err
		}
	}
	if err := checkTrustLevel(c.TrustLevel); err != nil {
		return err
	}
	return db.InTx(ctx, func(tx *sqlx.Tx) error {
		if c.Role != nil {
			if err := setRoleTx(ctx, tx, memberID, *c.Role); err != nil {
				return err
			}
		}
		if c.TrustLevel != nil || c.UnlockTrustLevel {
			if err := changeTrustTx(ctx, tx, memberID, c.TrustLevel); err != nil {
				return err
			}
		}
		if c.ModeratedCategories != nil {
			return setModeratedCategoriesTx(ctx, tx, memberID, *c.ModeratedCategories)
		}
		return nil
	})
}
