using System.Net;
using System.Net.Sockets;
using Approvals.Local.Hosting;

namespace Approvals.Local.Tests.Hosting;

/// <summary>A picked port taken by another process before it is bound: the start is tried again on a fresh pick.</summary>
public sealed class FreePortsTests
{
    [Fact]
    public async Task StartAsync_PortTakenBetweenPickAndBind_PicksAgainAndStarts()
    {
        // Arrange: the first pick is a port another listener already holds.
        using var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        var takenPort = ((IPEndPoint)taken.LocalEndpoint).Port;
        var attempts = 0;

        // Act
        using var bound = await FreePorts.StartAsync(() =>
        {
            var port = ++attempts == 1 ? takenPort : FreePorts.Pick(IPAddress.Loopback);
            var listener = new TcpListener(IPAddress.Loopback, port);
            listener.Start();
            return Task.FromResult(listener);
        });

        // Assert
        Assert.Equal(2, attempts);
        Assert.NotEqual(takenPort, ((IPEndPoint)bound.LocalEndpoint).Port);
    }

    [Fact]
    public async Task StartAsync_PortTakenEveryTime_GivesUpAfterThreeAttemptsWithTheBindError()
    {
        using var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        var takenPort = ((IPEndPoint)taken.LocalEndpoint).Port;
        var attempts = 0;

        var error = await Assert.ThrowsAsync<SocketException>(() => FreePorts.StartAsync(() =>
        {
            attempts++;
            var listener = new TcpListener(IPAddress.Loopback, takenPort);
            listener.Start();
            return Task.FromResult(listener);
        }));

        Assert.Equal(FreePorts.Attempts, attempts);
        Assert.Equal(SocketError.AddressAlreadyInUse, error.SocketErrorCode);
    }

    [Fact]
    public async Task StartAsync_OtherFailure_NotTriedAgain()
    {
        var attempts = 0;

        await Assert.ThrowsAsync<InvalidOperationException>(() => FreePorts.StartAsync<int>(() =>
        {
            attempts++;
            throw new InvalidOperationException("a bad setting");
        }));

        Assert.Equal(1, attempts);
    }

    [Fact]
    public void IsAddressInUse_KestrelBindFailure_Recognised()
    {
        // Kestrel's shape: an IOException around AddressInUseException around the socket error.
        var kestrel = new IOException("Failed to bind to address http://127.0.0.1:5000: address already in use.",
            new Microsoft.AspNetCore.Connections.AddressInUseException("Address already in use", new SocketException((int)SocketError.AddressAlreadyInUse)));

        Assert.True(FreePorts.IsAddressInUse(kestrel));
        Assert.False(FreePorts.IsAddressInUse(new IOException("disk full")));
    }
}
