// pulumi-resource-random for the engine e2e: random:index/randomPassword:RandomPassword, the only
// random resource the program uses, generated as terraform-provider-random does
// (internal/random/string.go CreateString: the required minimum of each class first, the rest from
// the union of enabled classes, then shuffled, all from crypto/rand; bcrypt_hash with
// bcrypt.DefaultCost; id "none"). See ../kit for why this is not the bridged provider.
package main

import (
	"crypto/rand"
	"math/big"

	"golang.org/x/crypto/bcrypt"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/version"

	"registry-topology/engine/cli/providers/kit"
)

const (
	upperChars   = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	lowerChars   = "abcdefghijklmnopqrstuvwxyz"
	numericChars = "0123456789"
	specialChars = "!@#$%&*()-_=+[]{}<>:?"
)

func pick(chars string, n int) ([]byte, error) {
	out := make([]byte, n)
	for i := range out {
		j, err := rand.Int(rand.Reader, big.NewInt(int64(len(chars))))
		if err != nil {
			return nil, err
		}
		out[i] = chars[j.Int64()]
	}
	return out, nil
}

func password(in resource.PropertyMap) (string, error) {
	special := specialChars
	if s := kit.Str(in, "overrideSpecial"); s != "" {
		special = s
	}
	classes := []struct {
		on    bool
		chars string
		min   int
	}{
		{kit.Bool(in, "upper", true), upperChars, int(kit.Num(in, "minUpper", 0))},
		{kit.Bool(in, "lower", true), lowerChars, int(kit.Num(in, "minLower", 0))},
		{kit.Bool(in, "numeric", true) && kit.Bool(in, "number", true), numericChars, int(kit.Num(in, "minNumeric", 0))},
		{kit.Bool(in, "special", true), special, int(kit.Num(in, "minSpecial", 0))},
	}
	var all string
	var result []byte
	for _, c := range classes {
		if !c.on {
			continue
		}
		all += c.chars
		b, err := pick(c.chars, c.min)
		if err != nil {
			return "", err
		}
		result = append(result, b...)
	}
	length := int(kit.Num(in, "length", 0))
	if rest := length - len(result); rest > 0 {
		b, err := pick(all, rest)
		if err != nil {
			return "", err
		}
		result = append(result, b...)
	}
	for i := len(result) - 1; i > 0; i-- { // Fisher-Yates, as the provider's shuffle
		j, err := rand.Int(rand.Reader, big.NewInt(int64(i+1)))
		if err != nil {
			return "", err
		}
		result[i], result[j.Int64()] = result[j.Int64()], result[i]
	}
	return string(result), nil
}

func main() {
	kit.Serve("random", version.Version, map[string]kit.Resource{
		"random:index/randomPassword:RandomPassword": {
			Defaults: func(in resource.PropertyMap) {
				for _, k := range []string{"upper", "lower", "numeric", "number", "special"} {
					kit.SetDefault(in, k, true)
				}
				for _, k := range []string{"minUpper", "minLower", "minNumeric", "minSpecial"} {
					kit.SetDefault(in, k, 0.0)
				}
			},
			Create: func(in resource.PropertyMap) (string, resource.PropertyMap, error) {
				pw, err := password(in)
				if err != nil {
					return "", nil, err
				}
				hash, err := bcrypt.GenerateFromPassword([]byte(pw), bcrypt.DefaultCost)
				if err != nil {
					return "", nil, err
				}
				return "none", resource.PropertyMap{
					"result":     resource.NewProperty(pw),
					"bcryptHash": resource.NewProperty(string(hash)),
				}, nil
			},
			Computed: []string{"result", "bcryptHash"},
			Secret:   []string{"result", "bcryptHash"},
		},
	})
}
