package platform

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/fcsync/fcsync/shared/objstore"
	"github.com/fcsync/fcsync/shared/objstore/oss"
)

// The environment variables OpenStore reads for oss:// locations.
const (
	EnvOSSEndpoint  = "FCSYNC_OSS_ENDPOINT"   // endpoint host or URL; default: the region's
	EnvOSSRegion    = "FCSYNC_OSS_REGION"     // signing region; default FC_REGION (set by FC)
	EnvOSSInternal  = "FCSYNC_OSS_INTERNAL"   // 1: the region's internal endpoint (FC in the same region)
	EnvOSSPathStyle = "FCSYNC_OSS_PATH_STYLE" // 1: path-style addressing, for local test servers only
)

// OpenStore opens the object store at location: a local directory, or oss://bucket/prefix.
//
// For OSS the endpoint, region and addressing come from the environment (EnvOSSEndpoint,
// EnvOSSRegion or FC_REGION, EnvOSSInternal, EnvOSSPathStyle), and every request is signed with
// the credentials of the context it is made with: FromContext, i.e. the STS keys FC passes with
// the invocation, or the ALIBABA_CLOUD_* environment variables. So one store serves every
// invocation of a function instance, each with its own keys. OpenStore checks, with ctx's
// credentials, that the bucket is reachable and has never had versioning (create-if-absent, on
// which fcsync's state rests, does not work there).
func OpenStore(ctx context.Context, location string, getenv func(string) string) (objstore.Store, error) {
	switch {
	case location == "":
		return nil, errors.New("store: no location (a directory or oss://bucket/prefix)")
	case strings.HasPrefix(location, "oss://"):
		return openOSS(ctx, location, getenv)
	case strings.Contains(location, "://"):
		scheme, _, _ := strings.Cut(location, "://")
		return nil, fmt.Errorf("store: %q locations are not supported (a directory or oss://bucket/prefix)", scheme)
	}
	d, err := objstore.NewDir(location)
	if err != nil {
		return nil, fmt.Errorf("store %s: %w", location, err)
	}
	return d, nil
}

func openOSS(ctx context.Context, location string, getenv func(string) string) (objstore.Store, error) {
	rest := strings.TrimPrefix(location, "oss://")
	bucket, prefix, _ := strings.Cut(rest, "/")
	switch {
	case strings.ContainsAny(bucket, "@:"):
		// Never echo it: it may hold keys (oss://id:secret@bucket).
		return nil, errors.New("store: an oss:// location takes no user, password or port: use oss://bucket/prefix (keys come from the invocation)")
	case strings.ContainsAny(rest, "?#"):
		return nil, fmt.Errorf("store %s: an oss:// location takes no query or fragment", location)
	case bucket == "":
		return nil, fmt.Errorf("store %s: no bucket", location)
	}
	region := getenv(EnvOSSRegion)
	if region == "" {
		region = getenv("FC_REGION")
	}
	if region == "" {
		return nil, fmt.Errorf("store %s: no region: set %s (FC sets FC_REGION)", location, EnvOSSRegion)
	}
	internal, err := flag(getenv, EnvOSSInternal)
	if err != nil {
		return nil, fmt.Errorf("store %s: %w", location, err)
	}
	pathStyle, err := flag(getenv, EnvOSSPathStyle)
	if err != nil {
		return nil, fmt.Errorf("store %s: %w", location, err)
	}
	s, err := oss.New(oss.Config{
		Bucket:      bucket,
		Prefix:      prefix,
		Endpoint:    getenv(EnvOSSEndpoint),
		Region:      region,
		Internal:    internal,
		PathStyle:   pathStyle,
		Credentials: ossCredentials(getenv),
	})
	if err != nil {
		return nil, fmt.Errorf("store %s: %w", location, err)
	}
	if err := s.CheckVersioning(ctx); err != nil {
		return nil, fmt.Errorf("store %s: %w", location, err)
	}
	return s, nil
}

// ossCredentials signs each request with the keys of its own invocation.
func ossCredentials(getenv func(string) string) func(context.Context) (oss.Credentials, error) {
	return func(ctx context.Context) (oss.Credentials, error) {
		c := FromContext(ctx, getenv)
		if c.AccessKeyID == "" || c.AccessKeySecret == "" {
			return oss.Credentials{}, errors.New("no cloud keys: the invocation carries no STS keys and ALIBABA_CLOUD_ACCESS_KEY_ID / ALIBABA_CLOUD_ACCESS_KEY_SECRET are not set")
		}
		return oss.Credentials{ID: c.AccessKeyID, Secret: c.AccessKeySecret, Token: c.SecurityToken}, nil
	}
}

func flag(getenv func(string) string, name string) (bool, error) {
	switch v := getenv(name); v {
	case "", "0":
		return false, nil
	case "1":
		return true, nil
	default:
		return false, fmt.Errorf("%s=%q: want 1 or 0", name, v)
	}
}

// StoreCache opens a store on first use and keeps it, so the invocations a function instance
// serves share one store (and its connections, and one versioning check). A failed open is tried
// again on the next use. The zero value is ready; it is safe for concurrent use.
type StoreCache struct {
	mu       sync.Mutex
	location string
	store    objstore.Store
}

// Open returns the store at location, opening it with OpenStore the first time (or when location
// changes).
func (c *StoreCache) Open(ctx context.Context, location string, getenv func(string) string) (objstore.Store, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.store != nil && c.location == location {
		return c.store, nil
	}
	s, err := OpenStore(ctx, location, getenv)
	if err != nil {
		return nil, err
	}
	c.location, c.store = location, s
	return s, nil
}
