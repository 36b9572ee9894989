using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Connections;

namespace Approvals.Local.Hosting;

/// <summary>Free TCP ports on this machine, for listeners whose address must be known before they start.</summary>
public static class FreePorts
{
    /// <summary>Builds and starts on picked ports at most this many times.</summary>
    public const int Attempts = 3;

    /// <summary>A port that is free now. Another process can take it before the caller binds it: start through
    /// <see cref="StartAsync{T}"/>, which picks again when that happens.</summary>
    public static int Pick(IPAddress address)
    {
        using var listener = new TcpListener(address, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>True when a listener could bind <paramref name="address"/>:<paramref name="port"/> now.</summary>
    public static bool IsFree(IPAddress address, int port)
    {
        try
        {
            using var listener = new TcpListener(address, port);
            listener.Start();
            return true;
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.AddressAlreadyInUse)
        {
            return false;
        }
    }

    /// <summary>Runs <paramref name="start"/> (which picks its ports with <see cref="Pick"/> and binds them) again when a
    /// port was taken between the pick and the bind, at most <see cref="Attempts"/> times in all; any other failure, or
    /// the last one, is thrown as it is.</summary>
    public static async Task<T> StartAsync<T>(Func<Task<T>> start)
    {
        ArgumentNullException.ThrowIfNull(start);
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await start();
            }
            catch (Exception e) when (attempt < Attempts && IsAddressInUse(e))
            {
            }
        }
    }

    /// <summary>True when <paramref name="e"/> (or an exception inside it) says a listener's address was already in use.</summary>
    public static bool IsAddressInUse(Exception? e) => e switch
    {
        null => false,
        AddressInUseException => true,
        SocketException { SocketErrorCode: SocketError.AddressAlreadyInUse } => true,
        AggregateException a => a.InnerExceptions.Any(IsAddressInUse),
        _ => IsAddressInUse(e.InnerException),
    };
}
