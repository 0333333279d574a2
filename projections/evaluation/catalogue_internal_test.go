package evaluation

import "testing"

// TestEveryIndicatorComputes: an indicator is computed from events or
// rated, never neither nor both.
func TestEveryIndicatorComputes(t *testing.T) {
	for _, ind := range Catalogue {
		if (ind.compute == nil) != ind.Rated {
			t.Errorf("%s: rated %v, computed %v", ind.ID, ind.Rated, ind.compute != nil)
		}
	}
}
