package job

import (
	"fmt"
	"strings"
)

// DefaultZone is the time zone of a job that names none and runs where no region is known:
// DataWorks' default, China Standard Time.
const DefaultZone = "Asia/Shanghai"

// regionZones maps Alibaba Cloud region ids to the IANA zone of the city they are in: DataWorks
// evaluates scheduling parameters in the region's time zone.
var regionZones = map[string]string{
	"cn-hongkong":    "Asia/Hong_Kong",
	"ap-southeast-1": "Asia/Singapore",
	"ap-southeast-2": "Australia/Sydney",
	"ap-southeast-3": "Asia/Kuala_Lumpur",
	"ap-southeast-5": "Asia/Jakarta",
	"ap-southeast-6": "Asia/Manila",
	"ap-southeast-7": "Asia/Bangkok",
	"ap-northeast-1": "Asia/Tokyo",
	"ap-northeast-2": "Asia/Seoul",
	"ap-south-1":     "Asia/Kolkata",
	"eu-central-1":   "Europe/Berlin",
	"eu-west-1":      "Europe/London",
	"us-west-1":      "America/Los_Angeles",
	"us-east-1":      "America/New_York",
	"me-east-1":      "Asia/Dubai",
	"me-central-1":   "Asia/Riyadh",
	"na-south-1":     "America/Mexico_City",
}

// RegionZone returns the time zone of Alibaba Cloud region id region (FC sets FC_REGION) and how
// it was chosen: the table above, Asia/Shanghai for every other cn-* region (mainland China),
// and DefaultZone, with the reason, for an empty or unknown id.
func RegionZone(region string) (zone, reason string) {
	r := strings.ToLower(strings.TrimSpace(region))
	if z, ok := regionZones[r]; ok {
		return z, "region " + r
	}
	if strings.HasPrefix(r, "cn-") {
		return "Asia/Shanghai", "region " + r + " (mainland China)"
	}
	if r == "" {
		return DefaultZone, "no region known (FC_REGION is unset): " + DefaultZone + ", DataWorks' default"
	}
	return DefaultZone, fmt.Sprintf("region %q has no known time zone: %s, DataWorks' default; name the job's timezone", region, DefaultZone)
}
