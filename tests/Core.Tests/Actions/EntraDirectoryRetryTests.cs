using Approvals.Core.Actions;
using Approvals.Core.Tests.Support;
using Azure.Core;
using Microsoft.Extensions.DependencyInjection;

namespace Approvals.Core.Tests.Actions;

/// <summary>The Graph client's resilience pipeline as registered by <see cref="ApprovalsServiceCollectionExtensions.AddEntraDirectory"/>:
/// a password PATCH is retried only when Graph refused it before doing anything (429, 503); after a failure that may have
/// landed it is not written again here (the reset's own retry decides from the directory); reads keep the standard retries.</summary>
public sealed class EntraDirectoryRetryTests
{
    static async Task<(LoopbackServer Graph, IUserDirectory Directory, ServiceProvider Services)> StartAsync(int firstStatus, string method)
    {
        var first = 0;
        var graph = await LoopbackServer.StartAsync((ctx, req) =>
        {
            if (req.Method == method && Interlocked.Increment(ref first) == 1)
            {
                ctx.Response.Headers.RetryAfter = "0";
                return LoopbackServer.WriteJsonAsync(ctx, "{\"error\":{\"code\":\"x\",\"message\":\"first attempt\"}}", firstStatus);
            }

            return req.Method == "GET"
                ? LoopbackServer.WriteJsonAsync(ctx, "{\"lastPasswordChangeDateTime\":null}")
                : Task.CompletedTask.ContinueWith(_ => ctx.Response.StatusCode = 204, TaskScheduler.Default);
        });
        var services = new ServiceCollection()
            .AddSingleton<TokenCredential>(new FakeKeyVault.StaticCredential())
            .AddEntraDirectory(new Uri(graph.BaseAddress, "v1.0/"))
            .BuildServiceProvider();
        return (graph, services.GetRequiredService<IUserDirectory>(), services);
    }

    [Theory]
    [InlineData(429)]
    [InlineData(503)]
    public async Task PasswordPatch_RefusedBeforeAnything_RetriedOnce_OneWrite(int status)
    {
        var (graph, directory, services) = await StartAsync(status, "PATCH");
        await using var owner = graph;
        using var _ = services;

        await directory.SetTemporaryPasswordAsync("u1", "Tmp-Pa55word!xyz");

        Assert.Equal(2, graph.Requests.Count(r => r.Method == "PATCH"));
    }

    [Theory]
    [InlineData(500)]
    [InlineData(502)]
    [InlineData(504)]
    public async Task PasswordPatch_AFailureThatMayHaveLanded_NotRetriedHere(int status)
    {
        var (graph, directory, services) = await StartAsync(status, "PATCH");
        await using var owner = graph;
        using var _ = services;

        await Assert.ThrowsAsync<GraphRefusedException>(() => directory.SetTemporaryPasswordAsync("u1", "Tmp-Pa55word!xyz"));

        Assert.Equal(1, graph.Requests.Count(r => r.Method == "PATCH"));
    }

    [Fact]
    public async Task Read_A500_RetriedByTheStandardPipeline()
    {
        var (graph, directory, services) = await StartAsync(500, "GET");
        await using var owner = graph;
        using var _ = services;

        var changed = await directory.GetPasswordChangedAtAsync("u1");

        Assert.Null(changed);
        Assert.Equal(2, graph.Requests.Count(r => r.Method == "GET"));
    }
}
