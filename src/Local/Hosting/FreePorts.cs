using System.Net;
using System.Net.Sockets;

namespace Approvals.Local.Hosting;

/// <summary>Free TCP ports on this machine, for listeners whose address must be known before they start.</summary>
public static class FreePorts
{
    public static int Pick(IPAddress address)
    {
        using var listener = new TcpListener(address, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
