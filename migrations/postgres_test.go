package migrations

import "testing"

func TestPostgresVariants(t *testing.T) {
	for _, ts := range []bool{false, true} {
		ms, err := Postgres(ts)
		if err != nil {
			t.Fatal(err)
		}
		seen := map[int]bool{}
		for i, m := range ms {
			if seen[m.Version] {
				t.Errorf("timescale=%v: version %d twice", ts, m.Version)
			}
			seen[m.Version] = true
			if i > 0 && ms[i-1].Version >= m.Version {
				t.Errorf("timescale=%v: not in version order at %s", ts, m.Name)
			}
		}
		if len(ms) < 2 || ms[0].Name != "0001_init.sql" {
			t.Fatalf("timescale=%v: got %d migrations", ts, len(ms))
		}
		want := map[bool]string{false: "0002_rollups.plain.sql", true: "0002_rollups.timescaledb.sql"}[ts]
		if ms[1].Name != want {
			t.Errorf("timescale=%v: version 2 is %s, want %s", ts, ms[1].Name, want)
		}
	}
}
