package ledger

// Alliances name their time zone (Asia/Shanghai by default) and validation
// loads it; embedding the zone database makes that work on hosts without
// tzdata installed, such as minimal containers.
import _ "time/tzdata"
