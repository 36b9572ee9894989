using System.Diagnostics;
using System.Net;
using System.Text;
using Approvals.Core.Indent;
using Approvals.Local.Emulator;
using Approvals.Local.Tests.Support;

namespace Approvals.Local.Tests.Emulator;

/// <summary>Each injected API fault, seen through the Core client's resilience.</summary>
public sealed class FaultInjectionTests : IAsyncLifetime
{
    TestHost host = null!;

    public async Task InitializeAsync() => host = await TestHost.StartAsync();

    public async Task DisposeAsync() => await host.DisposeAsync();

    async Task<Petition> NewAsync() => await host.Indent.CreatePetitionAsync(new Petition { Reason = "r", Resources = [new Resource { Kind = "action", Id = "x" }] });

    [Theory]
    [InlineData(500)]
    [InlineData(503)]
    public async Task NextCallsFail_ClientRetriesThrough(int status)
    {
        var petition = await NewAsync();
        host.Faults.Set(new FaultSpec { Status = status, Count = 2, PathContains = "/petitions/" });

        var read = await host.Indent.GetPetitionAsync(petition.Name!);

        Assert.Equal(petition.Name, read.Name);
        Assert.Equal(0, host.Faults.Current.Count);
    }

    [Fact]
    public async Task TooManyRequests_WithRetryAfter_ClientWaits()
    {
        var petition = await NewAsync();
        host.Faults.Set(new FaultSpec { Status = 429, Count = 1, RetryAfterSeconds = 1, PathContains = "/petitions/" });

        var clock = Stopwatch.StartNew();
        await host.Indent.GetPetitionAsync(petition.Name!);

        Assert.True(clock.Elapsed >= TimeSpan.FromMilliseconds(950), $"{clock.ElapsedMilliseconds} ms");
    }

    [Fact]
    public async Task ConnectionResets_ClientRetries()
    {
        var petition = await NewAsync();
        host.Faults.Set(new FaultSpec { ResetConnections = 2, PathContains = "/petitions/" });

        var read = await host.Indent.GetPetitionAsync(petition.Name!);

        Assert.Equal(petition.Name, read.Name);
    }

    [Fact]
    public async Task CreateDuringOutage_ExactlyOnePetition()
    {
        var tag = Guid.NewGuid().ToString("N");
        host.Faults.Set(new FaultSpec { Status = 503, Count = 2, Method = "POST" });

        await host.Indent.CreatePetitionAsync(new Petition { Reason = "r", Resources = [new Resource { Kind = "action", Id = "x" }], Meta = new ObjectMeta { Labels = new Dictionary<string, string> { ["t"] = tag } } });

        Assert.Single(host.Emulator.All(), p => p.Meta?.Labels is { } l && l.TryGetValue("t", out var v) && v == tag);
    }

    [Fact]
    public async Task Latency_IsAdded()
    {
        host.Faults.Set(new FaultSpec { LatencyMs = 300 });
        var clock = Stopwatch.StartNew();
        await NewAsync();
        Assert.True(clock.ElapsedMilliseconds >= 290);
        host.Faults.Clear();
    }

    [Fact]
    public async Task FaultsOverHttp_BadSpecRejected()
    {
        using var http = host.IndentHttp();
        using var bad = await http.PutAsync("indent/_admin/faults", new StringContent("""{"status":200,"count":1}""", Encoding.UTF8, "application/json"));
        using var good = await http.PutAsync("indent/_admin/faults", new StringContent("""{"status":503,"count":1}""", Encoding.UTF8, "application/json"));
        using var failed = await http.GetAsync("indent/v1/spaces/acme/petitions");
        using var fine = await http.GetAsync("indent/v1/spaces/acme/petitions");

        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Equal(HttpStatusCode.OK, good.StatusCode);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, failed.StatusCode);
        Assert.Equal(HttpStatusCode.OK, fine.StatusCode);
    }
}
