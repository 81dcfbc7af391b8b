// Package kit serves small resource providers for the engine e2e over the real provider protocol
// (pulumirpc.ResourceProvider from sdk/v3), for the bridged providers random and tls whose Go
// modules the module proxy here does not serve (github.com/pulumi/pulumi-random/provider/v4 and
// github.com/pulumi/pulumi-tls/provider/v5: 403 "This module version is not available" for the
// version list and for every release tried).
//
// Behaviour kept from the bridged providers (pulumi-terraform-bridge, pkg/tfbridge/provider.go):
// every input of these resources is ForceNew in the Terraform schemas, so any input change is a
// replacement (Diff lists the changed keys in Replaces); Terraform's "sensitive" attributes are
// returned as Pulumi secrets; inputs are echoed into the outputs; Read returns the stored state
// (these resources live only in the state), so refresh reports no change; a preview of a create
// returns the computed outputs as unknowns.
package kit

import (
	"context"
	"fmt"
	"sort"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/plugin"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/provider"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/protobuf/types/known/emptypb"
)

// Resource is one resource type: Defaults fills Terraform's defaults into the inputs (Check),
// Create computes the outputs (added to the inputs), Computed names the outputs a preview leaves
// unknown, Secret names the outputs Terraform marks sensitive.
type Resource struct {
	Defaults func(in resource.PropertyMap)
	Create   func(in resource.PropertyMap) (id string, out resource.PropertyMap, err error)
	Computed []string
	Secret   []string
}

type server struct {
	pulumirpc.UnimplementedResourceProviderServer
	name, version string
	resources     map[string]Resource
}

// Serve runs the provider plugin `name` with the given resource types (keyed by type token).
func Serve(name, version string, resources map[string]Resource) {
	err := provider.Main(name, func(*provider.HostClient) (pulumirpc.ResourceProviderServer, error) {
		return &server{name: name, version: version, resources: resources}, nil
	})
	if err != nil {
		panic(err)
	}
}

var opts = plugin.MarshalOptions{KeepUnknowns: true, KeepSecrets: true, SkipNulls: true}

func (s *server) res(urn string) (Resource, error) {
	t := string(resource.URN(urn).Type())
	r, ok := s.resources[t]
	if !ok {
		return r, fmt.Errorf("%s: unknown resource type %s", s.name, t)
	}
	return r, nil
}

func (s *server) GetPluginInfo(context.Context, *emptypb.Empty) (*pulumirpc.PluginInfo, error) {
	return &pulumirpc.PluginInfo{Version: s.version}, nil
}

func (s *server) GetSchema(context.Context, *pulumirpc.GetSchemaRequest) (*pulumirpc.GetSchemaResponse, error) {
	return &pulumirpc.GetSchemaResponse{Schema: fmt.Sprintf(`{"name":%q,"version":%q}`, s.name, s.version)}, nil
}

func (s *server) CheckConfig(_ context.Context, req *pulumirpc.CheckRequest) (*pulumirpc.CheckResponse, error) {
	return &pulumirpc.CheckResponse{Inputs: req.GetNews()}, nil
}

func (s *server) DiffConfig(context.Context, *pulumirpc.DiffRequest) (*pulumirpc.DiffResponse, error) {
	return &pulumirpc.DiffResponse{Changes: pulumirpc.DiffResponse_DIFF_NONE}, nil
}

func (s *server) Configure(context.Context, *pulumirpc.ConfigureRequest) (*pulumirpc.ConfigureResponse, error) {
	return &pulumirpc.ConfigureResponse{AcceptSecrets: true, SupportsPreview: true, AcceptResources: true}, nil
}

func (s *server) Check(_ context.Context, req *pulumirpc.CheckRequest) (*pulumirpc.CheckResponse, error) {
	r, err := s.res(req.GetUrn())
	if err != nil {
		return nil, err
	}
	news, err := plugin.UnmarshalProperties(req.GetNews(), opts)
	if err != nil {
		return nil, err
	}
	if r.Defaults != nil {
		r.Defaults(news)
	}
	out, err := plugin.MarshalProperties(news, opts)
	if err != nil {
		return nil, err
	}
	return &pulumirpc.CheckResponse{Inputs: out}, nil
}

// inputsOf drops the computed outputs from a state, leaving the inputs it was created from.
func inputsOf(r Resource, state resource.PropertyMap) resource.PropertyMap {
	in := state.Copy()
	for _, k := range r.Computed {
		delete(in, resource.PropertyKey(k))
	}
	return in
}

func (s *server) Diff(_ context.Context, req *pulumirpc.DiffRequest) (*pulumirpc.DiffResponse, error) {
	r, err := s.res(req.GetUrn())
	if err != nil {
		return nil, err
	}
	oldsStruct := req.GetOldInputs()
	if oldsStruct == nil {
		oldsStruct = req.GetOlds()
	}
	olds, err := plugin.UnmarshalProperties(oldsStruct, opts)
	if err != nil {
		return nil, err
	}
	olds = inputsOf(r, olds)
	news, err := plugin.UnmarshalProperties(req.GetNews(), opts)
	if err != nil {
		return nil, err
	}
	var changed []string
	seen := map[resource.PropertyKey]bool{}
	for k, nv := range news {
		seen[k] = true
		ov, ok := olds[k]
		if !ok || !ov.DeepEquals(nv) {
			changed = append(changed, string(k))
		}
	}
	for k := range olds {
		if !seen[k] {
			changed = append(changed, string(k))
		}
	}
	sort.Strings(changed)
	if len(changed) == 0 {
		return &pulumirpc.DiffResponse{Changes: pulumirpc.DiffResponse_DIFF_NONE}, nil
	}
	return &pulumirpc.DiffResponse{Changes: pulumirpc.DiffResponse_DIFF_SOME, Replaces: changed, Diffs: changed}, nil
}

func (s *server) Create(_ context.Context, req *pulumirpc.CreateRequest) (*pulumirpc.CreateResponse, error) {
	r, err := s.res(req.GetUrn())
	if err != nil {
		return nil, err
	}
	in, err := plugin.UnmarshalProperties(req.GetProperties(), opts)
	if err != nil {
		return nil, err
	}
	state := in.Copy()
	id := ""
	if req.GetPreview() || in.ContainsUnknowns() {
		for _, k := range r.Computed {
			state[resource.PropertyKey(k)] = resource.MakeComputed(resource.NewProperty(""))
		}
	} else {
		var out resource.PropertyMap
		id, out, err = r.Create(plain(in))
		if err != nil {
			return nil, err
		}
		for k, v := range out {
			state[k] = v
		}
	}
	for _, k := range r.Secret {
		if v, ok := state[resource.PropertyKey(k)]; ok && !v.IsSecret() {
			state[resource.PropertyKey(k)] = resource.MakeSecret(v)
		}
	}
	props, err := plugin.MarshalProperties(state, opts)
	if err != nil {
		return nil, err
	}
	return &pulumirpc.CreateResponse{Id: id, Properties: props}, nil
}

func (s *server) Read(_ context.Context, req *pulumirpc.ReadRequest) (*pulumirpc.ReadResponse, error) {
	inputs := req.GetInputs()
	if inputs == nil {
		if r, err := s.res(req.GetUrn()); err == nil {
			state, err := plugin.UnmarshalProperties(req.GetProperties(), opts)
			if err != nil {
				return nil, err
			}
			if inputs, err = plugin.MarshalProperties(inputsOf(r, state), opts); err != nil {
				return nil, err
			}
		}
	}
	return &pulumirpc.ReadResponse{Id: req.GetId(), Properties: req.GetProperties(), Inputs: inputs}, nil
}

func (s *server) Delete(context.Context, *pulumirpc.DeleteRequest) (*emptypb.Empty, error) {
	return &emptypb.Empty{}, nil
}

func (s *server) Cancel(context.Context, *emptypb.Empty) (*emptypb.Empty, error) {
	return &emptypb.Empty{}, nil
}

// plain strips secret wrappers so Create can read the values.
func plain(m resource.PropertyMap) resource.PropertyMap {
	out := resource.PropertyMap{}
	for k, v := range m {
		out[k] = plainValue(v)
	}
	return out
}

func plainValue(v resource.PropertyValue) resource.PropertyValue {
	switch {
	case v.IsSecret():
		return plainValue(v.SecretValue().Element)
	case v.IsObject():
		return resource.NewProperty(plain(v.ObjectValue()))
	case v.IsArray():
		a := make([]resource.PropertyValue, len(v.ArrayValue()))
		for i, e := range v.ArrayValue() {
			a[i] = plainValue(e)
		}
		return resource.NewProperty(a)
	}
	return v
}

// Str, Num, Bool and Strs read inputs with a fallback.
func Str(m resource.PropertyMap, k string) string {
	if v, ok := m[resource.PropertyKey(k)]; ok && v.IsString() {
		return v.StringValue()
	}
	return ""
}

func Num(m resource.PropertyMap, k string, def float64) float64 {
	if v, ok := m[resource.PropertyKey(k)]; ok && v.IsNumber() {
		return v.NumberValue()
	}
	return def
}

func Bool(m resource.PropertyMap, k string, def bool) bool {
	if v, ok := m[resource.PropertyKey(k)]; ok && v.IsBool() {
		return v.BoolValue()
	}
	return def
}

func Strs(m resource.PropertyMap, k string) []string {
	var out []string
	if v, ok := m[resource.PropertyKey(k)]; ok && v.IsArray() {
		for _, e := range v.ArrayValue() {
			if e.IsString() {
				out = append(out, e.StringValue())
			}
		}
	}
	return out
}

// SetDefault sets k to v when the inputs have no value for it.
func SetDefault(m resource.PropertyMap, k string, v any) {
	if cur, ok := m[resource.PropertyKey(k)]; !ok || cur.IsNull() {
		m[resource.PropertyKey(k)] = resource.NewPropertyValue(v)
	}
}
