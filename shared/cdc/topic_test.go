package cdc

import (
	"regexp"
	"strings"
	"testing"
)

func TestTopicMapAppliesRulesInOrderThenTheDefault(t *testing.T) {
	m := TopicMap{
		Default: "${db}_${table}", Prefix: "ods_", Suffix: "_cdc",
		Rules: []TopicRule{
			{Table: "shop.orders", Topic: "orders"},
			{Table: "shop.order_items", Topic: "orders"}, // many tables to one topic
			{Regex: regexp.MustCompile(`crm\.(cust|lead)_(?P<region>\w+)`), Topic: "crm-${region}-$1"},
			{Table: "log*.events_*", Topic: "${db}.events"},
		},
	}
	cases := []struct{ db, table, want string }{
		{"shop", "orders", "orders"},
		{"shop", "order_items", "orders"},
		{"crm", "cust_eu", "crm-eu-cust"},
		{"crm", "lead_us", "crm-us-lead"},
		{"crm", "xcust_eu", "ods_crm_xcust_eu_cdc"}, // the expression must match the whole name
		{"logs", "events_2024", "logs.events"},
		{"shop", "users", "ods_shop_users_cdc"},
	}
	for _, c := range cases {
		got, err := m.Topic(c.db, c.table)
		if err != nil || got != c.want {
			t.Errorf("Topic(%s.%s) = %q, %v; want %q", c.db, c.table, got, err, c.want)
		}
	}
	if got, _ := (&TopicMap{}).Topic("shop", "orders"); got != "orders" {
		t.Errorf("the default mapping gives %q, want the table's name", got)
	}
}

func TestTopicMapRefusesNamesKafkaDoesNotAllow(t *testing.T) {
	m := TopicMap{Rules: []TopicRule{{Table: "a.b", Topic: "x y"}}}
	for _, c := range []struct{ db, table, want string }{
		{"a", "b", "rule 1"},
		{"shop", "or$ders", "add a topic rule"},
		{"shop", strings.Repeat("t", 250), "249"},
		{"shop", "订单", "not allowed"},
	} {
		_, err := m.Topic(c.db, c.table)
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), "table "+c.db+".") {
			t.Errorf("Topic(%s.%s): error %v, want one naming the table and saying %q", c.db, c.table, err, c.want)
		}
	}
}

func TestTopicTemplatesRejectUnknownVariables(t *testing.T) {
	re := regexp.MustCompile(`(?P<x>a)\.b`)
	for _, c := range []struct {
		tmpl string
		re   *regexp.Regexp
		ok   bool
	}{{"${db}.${table}", nil, true}, {"${schema}", nil, false}, {"${1}", nil, false}, {"${1}-${x}", re, true}, {"${y}", re, false}, {"", nil, false}} {
		err := checkTemplate("writer.topic", c.tmpl, c.re)
		if (err == nil) != c.ok {
			t.Errorf("checkTemplate(%q): %v, want ok=%v", c.tmpl, err, c.ok)
		}
	}
}
