package staff

import (
	"testing"

	"github.com/bursar/bursar/internal/db/dbtest"
)

func TestMain(m *testing.M) { dbtest.Main(m) }
