// pulumi-resource-kubernetes for the engine e2e.
//
// The upstream main (provider/cmd/pulumi-resource-kubernetes/main.go at v4.25.0) is this same call
// with two embedded files that `go generate` writes from Kubernetes' OpenAPI document and that are
// not in the module zip (git ignores them). In the provider they serve GetSchema and
// GetMapping (code generation, `pulumi import` of objects with no prior inputs:
// provider.go, Read with readFromCluster); create/read/update/delete/diff/check and Helm do not
// read them. This build passes a minimal schema naming the package, and no Terraform mapping.
package main

import (
	"github.com/pulumi/pulumi-kubernetes/provider/v4/pkg/provider"
	"github.com/pulumi/pulumi-kubernetes/provider/v4/pkg/version"
)

var schema = []byte(`{"name":"kubernetes","version":"` + version.Version + `"}`)

func main() {
	provider.Serve("kubernetes", version.Version, schema, nil)
}
