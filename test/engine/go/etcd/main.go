// etcd for the engine e2e's control plane: the same entry point as etcd's own main
// (go.etcd.io/etcd/server/v3/main.go calls etcdmain.Main(os.Args)).
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() {
	etcdmain.Main(os.Args)
}
