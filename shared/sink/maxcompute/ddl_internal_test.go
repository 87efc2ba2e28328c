package maxcompute

import (
	"testing"

	"github.com/fcsync/fcsync/shared/schema"
)

// The vendors' SDK tests of mctest (mctest/sdk_test.go) run these statements as literals; they
// must stay what the sink renders, so that the SDKs are shown the SQL fcsync really emits.
func TestTheStatementsTheSDKTestsRunAreTheSinksOwn(t *testing.T) {
	parts := []schema.Partition{
		{{Column: "ds", Value: "20240601"}},
		{{Column: "ds", Value: "20240603"}},
	}
	if got, want := addPartitionsSQL("orders", parts), "ALTER TABLE `orders` ADD IF NOT EXISTS PARTITION (`ds`='20240601') PARTITION (`ds`='20240603');"; got != want {
		t.Errorf("addPartitionsSQL = %s\nmctest/sdk_test.go runs %s", got, want)
	}
	cols := []schema.Column{{Name: "extra", Type: schema.String, Comment: "added"}, {Name: "id", Type: schema.BigInt}}
	if got, want := addColumnsSQL("orders", cols), "ALTER TABLE `orders` ADD COLUMNS IF NOT EXISTS (`extra` STRING COMMENT 'added', `id` BIGINT);"; got != want {
		t.Errorf("addColumnsSQL = %s\nmctest/sdk_test.go runs %s", got, want)
	}
}
