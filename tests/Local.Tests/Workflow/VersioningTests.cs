using System.Net.Sockets;
using Approvals.Core.Workflow;
using Approvals.Local.Tests.Support;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;

namespace Approvals.Local.Tests.Workflow;

/// <summary>Orchestration versions on the local host, on both engines as in Azure: every instance is started with the
/// current version, and an instance of a newer version is left for a newer worker instead of being run by this one.</summary>
public sealed class VersioningTests
{
    public static TheoryData<string> Engines => ["in memory", "Azure Storage"];

    static Task<TestHost> StartAsync(string engine, double? autoApprove = null)
    {
        if (engine == "in memory")
        {
            return TestHost.StartAsync(autoApprove: autoApprove);
        }

        RequireAzurite();
        return TestHost.StartAsync(
            new() { ["AzureWebJobsStorage"] = "UseDevelopmentStorage=true", ["TASKHUB_NAME"] = "ver" + Guid.NewGuid().ToString("N")[..12] },
            autoApprove: autoApprove);
    }

    static void RequireAzurite()
    {
        using var probe = new TcpClient();
        try
        {
            probe.Connect("127.0.0.1", 10001);
        }
        catch (SocketException)
        {
            throw new InvalidOperationException("Azurite is not listening on 127.0.0.1:10000-10002; ./test.sh starts it (tests/node).");
        }
    }

    [Theory]
    [MemberData(nameof(Engines))]
    public async Task Start_AnyEngine_InstanceCarriesTheCurrentVersionInItsHistory(string engine)
    {
        await using var host = await StartAsync(engine, autoApprove: 0.2);
        var id = await host.StartResetAsync("u" + Guid.NewGuid().ToString("N")[..10]);
        await host.WaitForStatusAsync(id, ApprovalStatuses.Completed);

        var history = await host.Http.GetStringAsync($"api/approvals/{id}/history");

        Assert.Contains("\"version " + WorkflowVersions.Current + "\"", history, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Engines))]
    public async Task ContinueAsNew_AnyEngine_KeepsTheVersion(string engine)
    {
        // A long wait continues as new after MaxWaitsPerExecution waits; webhook hints are waits too, so a burst of them
        // gets there in seconds instead of days.
        await using var host = await StartAsync(engine);
        var id = await host.StartResetAsync("u" + Guid.NewGuid().ToString("N")[..10]);
        var waiting = await host.WaitForPetitionAsync(id);
        for (var i = 0; i <= ApprovalOrchestrator.MaxWaitsPerExecution; i++)
        {
            await host.Durable.RaiseEventAsync(id, ApprovalEvents.IndentDecision, new IndentDecision(waiting.Petition!, "access/request", "hint-" + i, null));
        }

        var until = DateTime.UtcNow.AddSeconds(60);
        ApprovalInput? input = null;
        while (DateTime.UtcNow < until && input?.Continued is null)
        {
            await Task.Delay(100);
            input = (await host.Durable.GetInstanceAsync(id, getInputsAndOutputs: true))?.ReadInputAs<ApprovalInput>();
        }

        Assert.NotNull(input?.Continued); // a new execution began
        var history = await host.Http.GetStringAsync($"api/approvals/{id}/history");
        Assert.Contains("\"version " + WorkflowVersions.Current + "\"", history, StringComparison.Ordinal);
        Assert.DoesNotContain("\"version unversioned\"", history, StringComparison.Ordinal);
        await host.Durable.TerminateInstanceAsync(id);
    }

    [Theory]
    [MemberData(nameof(Engines))]
    public async Task NewerVersion_AnyEngine_IsNotRunByThisWorker(string engine)
    {
        await using var host = await StartAsync(engine, autoApprove: 0.2);
        var input = new ApprovalInput("reset-password", "123", "from a newer build", 3600, 1, 2, "hash", DateTimeOffset.UtcNow);
        var newer = "reset-password-123-" + Convert.ToHexStringLower(Guid.NewGuid().ToByteArray())[..16];
        await host.Durable.ScheduleNewOrchestrationInstanceAsync(nameof(ApprovalOrchestrator), input, new StartOrchestrationOptions(newer) { Version = "99.0" });

        // An approval of this version, started after it, runs to the end: the worker has been handed work since.
        var id = await host.StartResetAsync("u" + Guid.NewGuid().ToString("N")[..10]);
        await host.WaitForStatusAsync(id, ApprovalStatuses.Completed);

        var state = await host.Durable.GetInstanceAsync(newer, getInputsAndOutputs: true);
        Assert.NotNull(state);
        Assert.Equal(OrchestrationRuntimeStatus.Pending, state.RuntimeStatus);
        Assert.Null(state.SerializedCustomStatus); // not one step taken: no status, no petition
    }
}
