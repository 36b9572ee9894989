using System.Net.Sockets;
using Approvals.Local.Hosting;

namespace Approvals.Local.Engine;

/// <summary>What the host checks about <c>AzureWebJobsStorage</c> before it starts on Azure Storage: that it is a
/// connection string, and that every endpoint it names accepts a connection within <see cref="ConnectTimeout"/>. Without
/// this, the storage SDK retries for about half a minute and the generic host prints the stack trace of each try.</summary>
public static class StorageCheck
{
    public static readonly TimeSpan ConnectTimeout = TimeSpan.FromSeconds(3);

    /// <summary>The blob, queue and table endpoints of <paramref name="connectionString"/>; <c>null</c> when it is not a
    /// storage connection string. The storage SDK parses it, as the engine will.</summary>
    public static IReadOnlyList<Uri>? Endpoints(string connectionString)
    {
        try
        {
            return
            [
                new Azure.Storage.Blobs.BlobServiceClient(connectionString).Uri,
                new Azure.Storage.Queues.QueueServiceClient(connectionString).Uri,
                new Azure.Data.Tables.TableServiceClient(connectionString).Uri,
            ];
        }
        catch (Exception e) when (e is FormatException or ArgumentException or InvalidOperationException or UriFormatException)
        {
            return null;
        }
    }

    /// <summary>Throws <see cref="StartupException"/>, naming the endpoint and the setting, when one of the storage's
    /// endpoints cannot be connected to. Never names the connection string's secrets: only host and port.</summary>
    public static async Task CheckReachableAsync(string connectionString, CancellationToken cancellationToken)
    {
        var endpoints = Endpoints(connectionString) ?? throw new StartupException(NotAConnectionString);
        var checks = endpoints.Select(u => (u.Host, Port: u.IsDefaultPort ? (u.Scheme == Uri.UriSchemeHttps ? 443 : 80) : u.Port)).Distinct()
            .Select(async e => (e.Host, e.Port, Problem: await ConnectAsync(e.Host, e.Port, cancellationToken)));
        foreach (var (host, port, problem) in await Task.WhenAll(checks))
        {
            if (problem is not null)
            {
                throw new StartupException($"the durable storage named by {EngineOptions.StorageSetting} cannot be reached: {host}:{port} {problem}. Start it (Azurite: npx azurite), or unset {EngineOptions.StorageSetting} to run on the in-memory engine.");
            }
        }
    }

    public const string NotAConnectionString = $"{EngineOptions.StorageSetting} is not a storage connection string: give UseDevelopmentStorage=true (Azurite) or DefaultEndpointsProtocol=…;AccountName=…;AccountKey=…, or unset it to run on the in-memory engine.";

    static async Task<string?> ConnectAsync(string host, int port, CancellationToken cancellationToken)
    {
        using var bound = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        bound.CancelAfter(ConnectTimeout);
        using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
        try
        {
            await socket.ConnectAsync(host, port, bound.Token);
            return null;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return $"did not answer within {ConnectTimeout.TotalSeconds:0} s";
        }
        catch (SocketException e)
        {
            return e.SocketErrorCode switch
            {
                SocketError.ConnectionRefused => "refused the connection (nothing listens there)",
                SocketError.HostNotFound or SocketError.NoData or SocketError.TryAgain => "is not a host name that resolves",
                _ => "could not be connected to (" + e.SocketErrorCode + ")",
            };
        }
    }
}
