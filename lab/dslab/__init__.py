"""dualstack lab: a three-node kubeadm cluster in systemd-nspawn containers.

The lab exists to give the ``dualstack.kubernetes`` collection a real,
single-stack IPv4 cluster to convert.  Modules:

* :mod:`dslab.util`    paths, subprocess helpers, access to the build helper
* :mod:`dslab.net`     topology, host bridge, per-node network namespaces
* :mod:`dslab.nodes`   base rootfs, per-node rootfs, cgroups, nspawn boot
* :mod:`dslab.cluster` kubelet/containerd setup, kubeadm init/join
* :mod:`dslab.podnet`  CNI template and the route-sync agent
* :mod:`dslab.lifecycle` ``up``/``down``/``status``/``leftovers``

Every step checks whether it is already done, so ``dslab up`` can be rerun
after a failure and ``dslab down`` after a partial ``up``.
"""

__all__ = ["__version__"]

__version__ = "0.1.0"
