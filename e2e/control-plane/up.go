package main

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// The controllers osbackup relies on: Jobs and their pods, owner-reference garbage collection, namespace deletion,
// the default ServiceAccount, Jobs' ttlSecondsAfterFinished, the workloads a restore quiesces (Deployments through
// ReplicaSets, StatefulSets), pods of lost nodes, the kube-root-ca.crt ConfigMap a pod's token volume reads, and the
// binding of PersistentVolumeClaims to the local volumes that play them.
const defaultControllers = "job-controller,garbage-collector-controller,namespace-controller," +
	"serviceaccount-controller,ttl-after-finished-controller,deployment-controller,replicaset-controller," +
	"statefulset-controller,pod-garbage-collector-controller,node-lifecycle-controller," +
	"root-ca-certificate-publisher-controller,horizontal-pod-autoscaler-controller," +
	"persistentvolume-binder-controller"

// auditPolicyYAML records each request once, when its response is sent, without bodies (Secrets stay out of it).
const auditPolicyYAML = `apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: [RequestReceived, ResponseStarted]
rules:
- level: Metadata
`

// Ready is what `up` writes to DIR/ready.json once every component serves.
type Ready struct {
	Server      string         `json:"server"`
	Kubeconfig  string         `json:"kubeconfig"`
	EtcdURL     string         `json:"etcd"`
	Pids        map[string]int `json:"pids"`
	StartupSecs float64        `json:"startupSeconds"`
	Versions    string         `json:"versions"`
}

type component struct {
	name   string
	cmd    *exec.Cmd
	log    *os.File
	exited chan struct{} // closed when the process has ended; err is then its exit
	err    error
}

func up(args []string) int {
	fs := flag.NewFlagSet("up", flag.ContinueOnError)
	dir := fs.String("dir", "", "directory for certificates, etcd data, logs and admin.kubeconfig (required)")
	apiPort := fs.Int("apiserver-port", 0, "kube-apiserver's secure port on 127.0.0.1 (0: a free one)")
	etcdPort := fs.Int("etcd-port", 0, "etcd's client port on 127.0.0.1 (0: a free one)")
	controllers := fs.String("controllers", defaultControllers, "kube-controller-manager's --controllers")
	noScheduler := fs.Bool("no-scheduler", false, "do not start kube-scheduler")
	timeout := fs.Duration("timeout", 180*time.Second, "how long to wait for every component to serve")
	exitWithStdin := fs.Bool("exit-with-stdin", false, "stop when standard input closes (the parent is gone)")
	var apiserverArgs multiFlag
	fs.Var(&apiserverArgs, "apiserver-arg", "one more kube-apiserver flag, e.g. --apiserver-arg=--v=2 (repeatable)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *dir == "" {
		fmt.Fprintln(os.Stderr, "kubelocal up: --dir is required: the directory for certificates, data and logs")
		return 2
	}
	started := time.Now()
	root, err := filepath.Abs(*dir)
	if err != nil {
		return fail(err)
	}
	for _, d := range []string{root, filepath.Join(root, "pki"), filepath.Join(root, "logs")} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return fail(err)
		}
	}
	self, err := os.Executable()
	if err != nil {
		return fail(err)
	}
	if *apiPort == 0 {
		if *apiPort, err = freePort(); err != nil {
			return fail(err)
		}
	}
	if *etcdPort == 0 {
		if *etcdPort, err = freePort(); err != nil {
			return fail(err)
		}
	}
	peerPort, err := freePort()
	if err != nil {
		return fail(err)
	}
	pki := filepath.Join(root, "pki")
	if err := ensurePKI(pki); err != nil {
		return fail(fmt.Errorf("certificates in %s: %w", pki, err))
	}
	server := fmt.Sprintf("https://127.0.0.1:%d", *apiPort)
	kubeconfig := filepath.Join(root, "admin.kubeconfig")
	if err := writeKubeconfig(kubeconfig, server, pki); err != nil {
		return fail(err)
	}
	_ = os.Remove(filepath.Join(root, "ready.json"))

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP)
	defer stop()
	if *exitWithStdin {
		go func() {
			_, _ = io.Copy(io.Discard, os.Stdin)
			stop()
		}()
	}
	var running []*component
	shutdown := func() {
		// The reverse of the start order: the apiserver goes before etcd, so it does not log etcd's absence.
		for i := len(running) - 1; i >= 0; i-- {
			running[i].stop(10 * time.Second)
		}
	}
	defer shutdown()
	start := func(name string, args ...string) (*component, error) {
		c, err := startComponent(self, root, name, args)
		if err == nil {
			running = append(running, c)
		}
		return c, err
	}

	etcdURL := fmt.Sprintf("http://127.0.0.1:%d", *etcdPort)
	peerURL := fmt.Sprintf("http://127.0.0.1:%d", peerPort)
	etcd, err := start("etcd",
		"--name=kubelocal",
		"--data-dir="+filepath.Join(root, "etcd"),
		"--listen-client-urls="+etcdURL,
		"--advertise-client-urls="+etcdURL,
		"--listen-peer-urls="+peerURL,
		"--initial-advertise-peer-urls="+peerURL,
		"--initial-cluster=kubelocal="+peerURL,
		"--unsafe-no-fsync=true", // test data: a crash loses it anyway
		"--log-level=warn")
	if err != nil {
		return fail(err)
	}
	deadline := time.Now().Add(*timeout)
	if err := waitFor(ctx, deadline, etcd, "etcd /health", func() error { return etcdHealthy(etcdURL) }); err != nil {
		return fail(err)
	}

	apiArgs := []string{
		"--etcd-servers=" + etcdURL,
		"--bind-address=127.0.0.1",
		"--advertise-address=127.0.0.1",
		"--secure-port=" + strconv.Itoa(*apiPort),
		"--tls-cert-file=" + filepath.Join(pki, "apiserver.crt"),
		"--tls-private-key-file=" + filepath.Join(pki, "apiserver.key"),
		"--client-ca-file=" + filepath.Join(pki, "ca.crt"),
		"--kubelet-client-certificate=" + filepath.Join(pki, "apiserver-kubelet-client.crt"),
		"--kubelet-client-key=" + filepath.Join(pki, "apiserver-kubelet-client.key"),
		"--kubelet-certificate-authority=" + filepath.Join(pki, "ca.crt"),
		// the simulated nodes' host names resolve nowhere; their kubelet listens on their InternalIP, loopback
		"--kubelet-preferred-address-types=InternalIP,Hostname",
		"--service-account-issuer=https://kubernetes.default.svc.cluster.local",
		"--service-account-key-file=" + filepath.Join(pki, "sa.pub"),
		"--service-account-signing-key-file=" + filepath.Join(pki, "sa.key"),
		"--service-cluster-ip-range=10.96.0.0/16",
		"--authorization-mode=Node,RBAC",
		"--allow-privileged=true",
		"--endpoint-reconciler-type=none",
		"--profiling=false",
	}
	// Every request's user, verb, object and response code, one JSON line each: tests read it to prove that the
	// operator's ServiceAccount was never refused (a 403 means the chart's RBAC misses a rule).
	auditPolicy := filepath.Join(root, "audit-policy.yaml")
	if err := os.WriteFile(auditPolicy, []byte(auditPolicyYAML), 0o600); err != nil {
		return fail(err)
	}
	apiArgs = append(apiArgs,
		"--audit-policy-file="+auditPolicy,
		"--audit-log-path="+filepath.Join(root, "logs", "audit.log"),
		"--audit-log-format=json",
		"--audit-log-mode=blocking",
		"--audit-log-maxsize=100", // MB; local mode may run for days
		"--audit-log-maxbackup=1")
	apiArgs = append(apiArgs, apiserverArgs...)
	api, err := start("kube-apiserver", apiArgs...)
	if err != nil {
		return fail(err)
	}
	client, err := adminClient(pki)
	if err != nil {
		return fail(err)
	}
	if err := waitFor(ctx, deadline, api, "kube-apiserver /readyz", func() error {
		return get(client, server+"/readyz")
	}); err != nil {
		return fail(err)
	}

	kcm, err := start("kube-controller-manager",
		"--kubeconfig="+kubeconfig,
		"--controllers="+*controllers,
		"--secure-port=0",
		"--leader-elect=false",
		"--use-service-account-credentials=true",
		"--service-account-private-key-file="+filepath.Join(pki, "sa.key"),
		"--root-ca-file="+filepath.Join(pki, "ca.crt"),
		"--cluster-signing-cert-file="+filepath.Join(pki, "ca.crt"),
		"--cluster-signing-key-file="+filepath.Join(pki, "ca.key"),
		"--profiling=false")
	if err != nil {
		return fail(err)
	}
	if !*noScheduler {
		if _, err := start("kube-scheduler",
			"--kubeconfig="+kubeconfig,
			"--authentication-kubeconfig="+kubeconfig,
			"--authorization-kubeconfig="+kubeconfig,
			"--leader-elect=false",
			"--bind-address=127.0.0.1",
			"--secure-port=0",
			"--profiling=false"); err != nil {
			return fail(err)
		}
	}
	// The serviceaccount controller makes each namespace's "default" ServiceAccount; the ServiceAccount admission
	// plugin refuses pods until it exists, so the control plane is ready for pods when default/default is there.
	if err := waitFor(ctx, deadline, kcm, "kube-controller-manager (ServiceAccount default/default)", func() error {
		return get(client, server+"/api/v1/namespaces/default/serviceaccounts/default")
	}); err != nil {
		return fail(err)
	}

	pids := map[string]int{"kubelocal": os.Getpid()}
	for _, c := range running {
		pids[c.name] = c.cmd.Process.Pid
	}
	ready := Ready{Server: server, Kubeconfig: kubeconfig, EtcdURL: etcdURL, Pids: pids,
		StartupSecs: time.Since(started).Seconds(), Versions: versions()}
	if err := writeJSON(filepath.Join(root, "ready.json"), ready); err != nil {
		return fail(err)
	}
	fmt.Printf("kubelocal: ready in %.1fs: %s, kubeconfig %s, logs in %s\n", ready.StartupSecs, server, kubeconfig,
		filepath.Join(root, "logs"))

	// Up until told to stop, or until a component ends on its own (which is a failure: say which).
	ended := make(chan *component, len(running))
	for _, c := range running {
		go func(c *component) {
			<-c.exited
			ended <- c
		}(c)
	}
	select {
	case <-ctx.Done():
		fmt.Println("kubelocal: stopping")
		return 0
	case c := <-ended:
		fmt.Fprintf(os.Stderr, "kubelocal: %s ended (%v); its log %s ends with:\n%s", c.name, c.err, c.log.Name(),
			tail(c.log.Name(), 20))
		return 1
	}
}

func startComponent(self, root, name string, args []string) (*component, error) {
	log, err := os.OpenFile(filepath.Join(root, "logs", name+".log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(self, append([]string{name}, args...)...)
	cmd.Stdout = log
	cmd.Stderr = log
	cmd.Dir = root
	// A component dies with kubelocal even when kubelocal is killed outright.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		_ = log.Close()
		return nil, fmt.Errorf("starting %s: %w", name, err)
	}
	c := &component{name: name, cmd: cmd, log: log, exited: make(chan struct{})}
	go func() {
		c.err = cmd.Wait()
		close(c.exited)
	}()
	return c, nil
}

func (c *component) stop(grace time.Duration) {
	select {
	case <-c.exited:
	default:
		_ = c.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-c.exited:
		case <-time.After(grace):
			_ = c.cmd.Process.Kill()
			<-c.exited
		}
	}
	_ = c.log.Close()
}

// waitFor polls check until it passes, the component ends, the context is cancelled or the deadline passes.
func waitFor(ctx context.Context, deadline time.Time, c *component, what string, check func() error) error {
	var last error
	for {
		if last = check(); last == nil {
			return nil
		}
		select {
		case <-c.exited:
			return fmt.Errorf("%s ended before %s answered (%v); its log %s ends with:\n%s", c.name, what, c.err,
				c.log.Name(), tail(c.log.Name(), 30))
		case <-ctx.Done():
			return fmt.Errorf("stopped while waiting for %s", what)
		case <-time.After(200 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s did not answer in time (last: %v); %s's log %s ends with:\n%s", what, last, c.name,
				c.log.Name(), tail(c.log.Name(), 30))
		}
	}
}

func etcdHealthy(url string) error {
	resp, err := http.Get(url + "/health")
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	var health struct {
		Health string `json:"health"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&health); err != nil {
		return err
	}
	if health.Health != "true" {
		return fmt.Errorf("health %q", health.Health)
	}
	return nil
}

func adminClient(pki string) (*http.Client, error) {
	cert, err := tls.LoadX509KeyPair(filepath.Join(pki, "admin.crt"), filepath.Join(pki, "admin.key"))
	if err != nil {
		return nil, err
	}
	caPEM, err := os.ReadFile(filepath.Join(pki, "ca.crt"))
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(caPEM)
	return &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{
		TLSClientConfig: &tls.Config{Certificates: []tls.Certificate{cert}, RootCAs: pool, MinVersion: tls.VersionTLS12},
	}}, nil
}

func get(client *http.Client, url string) error {
	resp, err := client.Get(url)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return fmt.Errorf("%s: %s %s", url, resp.Status, strings.TrimSpace(string(body)))
	}
	return nil
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func writeJSON(path string, v any) error {
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, append(data, '\n'), 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

func tail(path string, lines int) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	var all []string
	scanner := bufio.NewScanner(f)
	scanner.Buffer(make([]byte, 64*1024), 1024*1024)
	for scanner.Scan() {
		all = append(all, scanner.Text())
		if len(all) > lines {
			all = all[1:]
		}
	}
	return strings.Join(all, "\n") + "\n"
}

func fail(err error) int {
	fmt.Fprintln(os.Stderr, "kubelocal up:", err)
	return 1
}

// versions names the Kubernetes and etcd modules this binary was built from.
func versions() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown"
	}
	var parts []string
	for _, m := range info.Deps {
		switch m.Path {
		case "k8s.io/kubernetes", "go.etcd.io/etcd/server/v3":
			parts = append(parts, m.Path+" "+m.Version)
		}
	}
	return strings.Join(append(parts, info.GoVersion), ", ")
}

type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, " ") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }
