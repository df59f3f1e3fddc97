// Command kubelocal is a real Kubernetes control plane in one binary, for osbackup's tests and local mode.
//
// It is a multicall binary: called as (or given first) etcd, kube-apiserver, kube-controller-manager,
// kube-scheduler or kubectl, it runs that component exactly as the upstream command of the same name does; called
// as `kubelocal up`, it generates certificates and starts each component as its own process of this binary on
// loopback, waits until they serve, writes an admin kubeconfig and stays up until it is told to stop (SIGTERM,
// SIGINT, or its standard input closing, which is how a test JVM that dies takes it along).
//
// The components cannot share one process: they register global flags, feature gates and klog state.
package main

import (
	"fmt"
	"os"
	"path/filepath"

	"go.etcd.io/etcd/server/v3/etcdmain"
	"k8s.io/component-base/cli"
	kubectl "k8s.io/kubectl/pkg/cmd"
	kubectlutil "k8s.io/kubectl/pkg/cmd/util"
	apiserver "k8s.io/kubernetes/cmd/kube-apiserver/app"
	controllermanager "k8s.io/kubernetes/cmd/kube-controller-manager/app"
	scheduler "k8s.io/kubernetes/cmd/kube-scheduler/app"
)

const usage = `kubelocal: a Kubernetes control plane for osbackup's tests and local mode

  kubelocal up --dir DIR [flags]     start etcd, kube-apiserver, kube-controller-manager and kube-scheduler
  kubelocal version                  the Kubernetes and etcd versions built in
  kubelocal etcd|kube-apiserver|kube-controller-manager|kube-scheduler|kubectl [args]
                                     run one component as its upstream command does

Run "kubelocal up -h" for the flags of up.`

func main() {
	name := filepath.Base(os.Args[0])
	if name == "kubelocal" {
		if len(os.Args) < 2 {
			fmt.Fprintln(os.Stderr, usage)
			os.Exit(2)
		}
		os.Args = os.Args[1:]
		name = os.Args[0]
	}
	switch name {
	case "etcd":
		etcdmain.Main(os.Args)
	case "kube-apiserver":
		os.Exit(cli.Run(apiserver.NewAPIServerCommand()))
	case "kube-controller-manager":
		os.Exit(cli.Run(controllermanager.NewControllerManagerCommand()))
	case "kube-scheduler":
		os.Exit(cli.Run(scheduler.NewSchedulerCommand()))
	case "kubectl":
		if err := cli.RunNoErrOutput(kubectl.NewDefaultKubectlCommand()); err != nil {
			kubectlutil.CheckErr(err)
		}
	case "up":
		os.Exit(up(os.Args[1:]))
	case "version":
		fmt.Println(versions())
	case "-h", "--help", "help":
		fmt.Println(usage)
	default:
		fmt.Fprintf(os.Stderr, "kubelocal: unknown command %q\n\n%s\n", name, usage)
		os.Exit(2)
	}
}
