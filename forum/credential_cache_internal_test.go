package forum

import "testing"

func TestALookupOlderThanAnInvalidationIsNotKept(t *testing.T) {
	var cc credentialCache
	cc.listening(true)
	since := cc.begin()
	cc.forget(7) // announced while the lookups below were running
	cc.put("a", since, credential{member: Member{ID: 7}})
	if cc.get("a") != nil {
		t.Error("a lookup that began before its member's invalidation was kept")
	}
	cc.put("b", since, credential{member: Member{ID: 8}})
	if cc.get("b") == nil {
		t.Error("another member's lookup was not kept")
	}
	cc.put("a", cc.begin(), credential{member: Member{ID: 7}})
	if cc.get("a") == nil {
		t.Error("a lookup that began after the invalidation was not kept")
	}

	// Past maxStale invalidations remembered one by one, any lookup older
	// than the last one is refused.
	since = cc.begin()
	for id := range int64(maxStale + 1) {
		cc.forget(1000 + id)
	}
	cc.put("c", since, credential{member: Member{ID: 9}})
	if cc.get("c") != nil {
		t.Error("a lookup older than the floor was kept")
	}

	// Everything is forgotten at once, and nothing is kept without a
	// listener.
	cc.forgetAll()
	if cc.get("b") != nil || cc.get("a") != nil {
		t.Error("forgetAll kept entries")
	}
	cc.listening(false)
	cc.put("d", cc.begin(), credential{member: Member{ID: 10}})
	cc.listening(true)
	if cc.get("d") != nil {
		t.Error("an entry was kept without a listener")
	}
}

func TestAnnouncementsForgetTheirMembers(t *testing.T) {
	var cc credentialCache
	cc.listening(true)
	for i, id := range []int64{1, 2, 3} {
		cc.put(string(rune('a'+i)), cc.begin(), credential{member: Member{ID: id}})
	}
	cc.announced("1,3")
	if cc.get("a") != nil || cc.get("c") != nil || cc.get("b") == nil {
		t.Error(`"1,3" did not forget exactly members 1 and 3`)
	}
	cc.announced("")
	if cc.get("b") != nil {
		t.Error(`"" did not forget everyone`)
	}
	cc.put("b", cc.begin(), credential{member: Member{ID: 2}})
	cc.announced("2,x")
	if cc.get("b") != nil {
		t.Error("a payload that does not parse did not forget everyone")
	}
}

// A writer's marker wakes that writer only; another instance's is ignored,
// and the LISTEN connection coming back ("") wakes every writer, since
// everything was forgotten then.
func TestMarkersWakeTheirWriters(t *testing.T) {
	var cc credentialCache
	first, heardFirst := cc.awaitMarker()
	_, heardSecond := cc.awaitMarker()
	closed := func(c <-chan struct{}) bool {
		select {
		case <-c:
			return true
		default:
			return false
		}
	}
	cc.heardMarker("autre:1")
	cc.heardMarker(first)
	if !closed(heardFirst) || closed(heardSecond) {
		t.Fatal("a marker did not wake exactly its writer")
	}
	cc.heardMarker(first) // heard twice: nothing left to wake
	cc.heardMarker("")
	if !closed(heardSecond) {
		t.Error(`"" did not wake the writers still waiting`)
	}
	if len(cc.markers) != 0 {
		t.Errorf("markers left: %v", cc.markers)
	}
}
