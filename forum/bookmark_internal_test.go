package forum

import (
	"testing"
	"time"
)

func TestReminderPresetsFallInTheForumsTimeZone(t *testing.T) {
	auckland, err := time.LoadLocation("Pacific/Auckland")
	if err != nil {
		t.Fatal(err)
	}
	// 23:30 UTC on 30 March is already 31 March at 12:30 in Auckland: its
	// "tomorrow" is 1 April there, whatever the server's own zone.
	now := time.Date(2026, 3, 30, 23, 30, 0, 0, time.UTC)
	for _, c := range []struct {
		choice string
		want   time.Time
	}{
		{RemindHours, now.Add(3 * time.Hour)},
		{RemindTomorrow, time.Date(2026, 4, 1, 8, 0, 0, 0, auckland)},
		{RemindWeek, time.Date(2026, 4, 7, 8, 0, 0, 0, auckland)},
		{RemindMonth, time.Date(2026, 4, 30, 8, 0, 0, 0, auckland)},
	} {
		at, ok := presetReminder(c.choice, now, auckland)
		if !ok || at == nil || !at.Equal(c.want) {
			t.Errorf("%s: %v %v, want %v", c.choice, at, ok, c.want)
		}
	}
	if at, ok := presetReminder(RemindNone, now, auckland); !ok || at != nil {
		t.Errorf("none: %v %v", at, ok)
	}
	if _, ok := presetReminder("yesterday", now, auckland); ok {
		t.Error("an unknown preset was accepted")
	}
}
