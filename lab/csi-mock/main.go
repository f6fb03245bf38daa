// Command csi-mock serves upstream's e2e CSI mock driver on a unix socket.
//
// The driver is k8s.io/kubernetes/test/e2e/storage/drivers/csi-test (mock/service and driver),
// the in-memory CSI driver the upstream e2e suite embeds for its csi-mock tests; upstream has no
// command for it (the e2e binary proxies it into a pod), so the lab wraps it in this main.
// Nothing of upstream's is changed: the flags only pick the service's Config and the socket.
package main

import (
	"flag"
	"net"
	"os"
	"os/signal"
	"syscall"

	"k8s.io/klog/v2"
	mockdriver "k8s.io/kubernetes/test/e2e/storage/drivers/csi-test/driver"
	mockservice "k8s.io/kubernetes/test/e2e/storage/drivers/csi-test/mock/service"
)

func main() {
	endpoint := flag.String("endpoint", "/csi/csi.sock", "unix socket to serve CSI on")
	name := flag.String("drivername", mockservice.Name, "CSI driver name")
	attach := flag.Bool("enable-attach", false, "advertise ControllerPublishVolume")
	klog.InitFlags(nil)
	flag.Parse()

	if err := os.Remove(*endpoint); err != nil && !os.IsNotExist(err) {
		klog.Fatalf("remove stale socket %s: %v", *endpoint, err)
	}
	listener, err := net.Listen("unix", *endpoint)
	if err != nil {
		klog.Fatalf("listen on %s: %v", *endpoint, err)
	}
	service := mockservice.New(mockservice.Config{DriverName: *name, DisableAttach: !*attach})
	driver := mockdriver.NewCSIDriver(&mockdriver.CSIDriverServers{Controller: service, Identity: service, Node: service})
	if err := driver.Start(listener, nil); err != nil {
		klog.Fatalf("start CSI driver %s: %v", *name, err)
	}
	klog.Infof("CSI driver %s serving on %s", *name, *endpoint)

	signals := make(chan os.Signal, 1)
	signal.Notify(signals, syscall.SIGTERM, syscall.SIGINT)
	<-signals
	driver.Stop()
}
