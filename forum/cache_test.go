package forum

import (
	"testing"
	"time"
)

func TestCacheKeepsNothingReadBeforeADrop(t *testing.T) {
	c := NewCache[string, int](0, 0)
	gen := c.Generation()
	c.Drop() // announced while the value below was read
	c.Put(gen, "a", 1, 1)
	if _, ok := c.Get("a"); ok {
		t.Error("a value read before a drop was kept")
	}
	c.Put(c.Generation(), "a", 2, 1)
	if v, ok := c.Get("a"); !ok || v != 2 {
		t.Errorf("a value read after the drop: %d, %v", v, ok)
	}
	c.Drop()
	if _, ok := c.Get("a"); ok {
		t.Error("Drop kept an entry")
	}
}

func TestCacheStaysWithinItsBudgetAndTTL(t *testing.T) {
	c := NewCache[int, string](time.Minute, 10)
	for i := range 25 {
		c.Put(c.Generation(), i, "x", 3)
		if _, size := c.Size(); size > 10 {
			t.Fatalf("after %d entries the cache holds %d, over its budget", i+1, size)
		}
	}
	c.Put(c.Generation(), 24, "y", 3) // stored again: its old size is not counted twice
	if n, size := c.Size(); size != 3*n {
		t.Errorf("%d entries of 3 hold %d", n, size)
	}
	c.mu.Lock()
	e := c.entries[24]
	e.stored = e.stored.Add(-2 * time.Minute)
	c.entries[24] = e
	c.mu.Unlock()
	if _, ok := c.Get(24); ok {
		t.Error("an entry older than the TTL was served")
	}
}

func TestCacheLoadsOnceUntilDropped(t *testing.T) {
	c := NewCache[struct{}, int](0, 0)
	loads := 0
	load := func() (int, error) { loads++; return loads, nil }
	for range 3 {
		if v, err := c.GetOrLoad(struct{}{}, load); err != nil || v != 1 {
			t.Fatalf("GetOrLoad: %d, %v", v, err)
		}
	}
	c.Drop()
	if v, _ := c.GetOrLoad(struct{}{}, load); v != 2 || loads != 2 {
		t.Errorf("after a drop: %d (loads %d)", v, loads)
	}
}

func TestInvalidationsCallEveryHandlerInOrder(t *testing.T) {
	var inv Invalidations
	var got []string
	inv.On("a", func(p string) { got = append(got, "1:"+p) })
	inv.On("a", func(p string) { got = append(got, "2:"+p) })
	inv.On("b", func(p string) { got = append(got, "b:"+p) })
	var up []bool
	inv.OnListening(func(v bool) { up = append(up, v) })
	inv.notify("a", "x")
	inv.notify("c", "ignored")
	if len(got) != 2 || got[0] != "1:x" || got[1] != "2:x" {
		t.Errorf("notify: %v", got)
	}
	got = nil
	inv.dropAll()
	if len(got) != 3 {
		t.Errorf("dropAll called %v", got)
	}
	inv.setListening(true)
	inv.setListening(false)
	if len(up) != 2 || !up[0] || up[1] {
		t.Errorf("listening: %v", up)
	}
}
