// Package staff is the school's staff: admin users with roles (owner, manager), their sign-in with rate limits and
// lockouts, and the API keys that other systems use.
package staff

import (
	"errors"
	"fmt"
	"time"

	"github.com/bursar/bursar/internal/check"
	"github.com/bursar/bursar/internal/signin"
)

// Roles.
const (
	RoleOwner   = "owner"
	RoleManager = "manager"
)

// User is an admin user.
type User struct {
	ID         int64
	Email      string
	Name       string
	Role       string
	DisabledAt *time.Time
	CreatedAt  time.Time
}

// IsOwner tells whether u may manage staff and settings.
func (u User) IsOwner() bool { return u.Role == RoleOwner }

// Errors.
var (
	ErrNotFound           = fmt.Errorf("staff: user %w", check.ErrNotFound)
	ErrInvalidCredentials = errors.New("staff: wrong e-mail or password")
	ErrLastOwner          = errors.New("staff: the last owner cannot be demoted or disabled")
)

// LockedError says sign-in is refused for a while after too many failures: the sign-in gate's own.
type LockedError = signin.LockedError

// NewUser is the input of CreateUser.
type NewUser struct {
	Email    string
	Name     string
	Role     string
	Password string
}

// Validate checks the input, naming each bad field.
func (n NewUser) Validate() error {
	errs := check.Errors{}
	errs.Email("email", n.Email, true)
	errs.Text("name", n.Name, false, 200)
	if n.Role != RoleOwner && n.Role != RoleManager {
		errs.Add("role", "must be owner or manager")
	}
	if msg := passwordCheck(n.Password); msg != "" {
		errs.Add("password", msg)
	}
	return errs.Err()
}
