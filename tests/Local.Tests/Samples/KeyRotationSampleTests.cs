using System.IO.Compression;
using System.Runtime.Loader;
using System.Text.Json;
using Approvals.Core.Indent;
using Approvals.Local.Tests.Support;
using Microsoft.DurableTask.Client;

namespace Approvals.Local.Tests.Samples;

/// <summary>Packing Core and building the sample load both cores for a minute or two: they run alone, after the
/// parallel classes, so the timing-bound tests beside them are not starved.</summary>
[CollectionDefinition(nameof(PackageBuilds), DisableParallelization = true)]
public sealed class PackageBuilds;

/// <summary>Another team's app gating its own activity with the packaged step: the KeyRotation sample, restored from the
/// package this test packs, run on the embedded engine against the Indent emulator. Whether the key was rotated is read
/// from the sample's own key store, never from the workflow's status.</summary>
[Collection(nameof(PackageBuilds))]
public sealed class KeyRotationSampleTests(KeyRotationSample fixture) : IClassFixture<KeyRotationSample>
{
    static readonly TimeSpan Bound = TimeSpan.FromSeconds(60);

    async Task<string> RotateAsync(string key, int deadlineSeconds = 600) =>
        await fixture.Client.ScheduleNewOrchestrationInstanceAsync("KeyRotationOrchestrator", new
        {
            KeyName = key,
            Reason = "rotate the " + key + " key after a leak",
            Requester = new { Id = TestHost.CallerId, Email = TestHost.Caller, Name = "Helpdesk" },
            DeadlineSeconds = deadlineSeconds,
            PollMaxSeconds = 2,
        });

    /// <summary>The approval step's instance (the sample shows it in its custom status) and its petition, once created.</summary>
    async Task<(string Approval, string Petition)> WaitForPetitionAsync(string rotation)
    {
        using var bound = new CancellationTokenSource(Bound);
        while (true)
        {
            var instance = await fixture.Client.GetInstanceAsync(rotation, getInputsAndOutputs: true, bound.Token);
            if (instance?.SerializedCustomStatus is { } status
                && JsonDocument.Parse(status).RootElement.GetProperty("ApprovalId").GetString() is { } approval
                && await fixture.Approvals.Indent.FindPetitionsByRequestIdAsync(approval, bound.Token) is [{ Name: { } petition }])
            {
                return (approval, petition);
            }

            await Task.Delay(50, bound.Token);
        }
    }

    async Task<JsonElement> ResultAsync(string rotation)
    {
        using var bound = new CancellationTokenSource(Bound);
        var done = await fixture.Client.WaitForInstanceCompletionAsync(rotation, getInputsAndOutputs: true, bound.Token);
        Assert.True(done.RuntimeStatus == OrchestrationRuntimeStatus.Completed, $"{done.RuntimeStatus}: {done.FailureDetails?.ErrorMessage}");
        return JsonDocument.Parse(done.SerializedOutput!).RootElement;
    }

    /// <summary>Rotations the sample's key store recorded for <paramref name="rotation"/>.</summary>
    int Rotations(string rotation) =>
        File.Exists(fixture.RotationLog)
            ? File.ReadAllLines(fixture.RotationLog).Count(l => l.Length > 0 && JsonDocument.Parse(l).RootElement.GetProperty("RotationId").GetString() == rotation)
            : 0;

    static string Refusal(JsonElement result) => result.GetProperty("Approval").GetProperty("Refusal").GetProperty("Reason").GetString()!;

    static string Key() => "key" + Guid.NewGuid().ToString("N")[..8];

    [Fact]
    public void Sample_IsBuiltFromThePackage_WithReadmeDocsAndRepository()
    {
        var libraries = fixture.Build.Libraries();
        Assert.Equal("package", libraries[$"Approvals.Core/{fixture.Build.Version}"]);
        Assert.DoesNotContain(libraries, l => l.Value == "project");
        var core = AssemblyLoadContext.GetLoadContext(fixture.Sample)!.Assemblies.Single(a => a.GetName().Name == "Approvals.Core");
        Assert.StartsWith(fixture.Build.Output, core.Location, StringComparison.Ordinal);
        Assert.NotSame(typeof(Core.Step.ApprovalStep).Assembly, core);

        using var package = ZipFile.OpenRead(fixture.Build.Package);
        Assert.Contains(package.Entries, e => e.FullName == "README.md");
        Assert.Contains(package.Entries, e => e.FullName == "lib/net10.0/Approvals.Core.xml");
        using var nuspec = new StreamReader(package.Entries.Single(e => e.FullName.EndsWith(".nuspec", StringComparison.Ordinal)).Open());
        var text = nuspec.ReadToEnd();
        Assert.Contains($"<version>{fixture.Build.Version}</version>", text, StringComparison.Ordinal);
        Assert.Contains("<repository type=\"git\"", text, StringComparison.Ordinal);
        Assert.Contains("<readme>README.md</readme>", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Approved_ByAnotherPerson_KeyRotatedOnce()
    {
        var rotation = await RotateAsync(Key());
        var (_, petition) = await WaitForPetitionAsync(rotation);

        fixture.Approvals.ApproveAsAPerson(petition);
        var result = await ResultAsync(rotation);

        Assert.True(result.GetProperty("Rotated").GetBoolean());
        Assert.Equal("bob", result.GetProperty("Approval").GetProperty("Grant").GetProperty("ApproverId").GetString());
        Assert.Equal(1, Rotations(rotation));
    }

    [Fact]
    public async Task Denied_NeverRotated()
    {
        var rotation = await RotateAsync(Key());
        var (_, petition) = await WaitForPetitionAsync(rotation);

        fixture.Approvals.Emulator.Claim(petition, new IndentEvent { EventType = IndentEventTypes.Deny }, "bob@local");
        var result = await ResultAsync(rotation);

        Assert.Equal("Denied", Refusal(result));
        Assert.Equal(0, Rotations(rotation));
    }

    [Fact]
    public async Task NoDecisionBeforeTheDeadline_Expired_NeverRotated()
    {
        var rotation = await RotateAsync(Key(), deadlineSeconds: 5);
        var (_, petition) = await WaitForPetitionAsync(rotation);

        var result = await ResultAsync(rotation);

        Assert.Equal("Expired", Refusal(result));
        Assert.Equal(IndentPhases.Closed, (await fixture.Approvals.Indent.GetPetitionAsync(petition)).Phase);
        Assert.Equal(0, Rotations(rotation));
    }

    [Fact]
    public async Task Cancelled_NeverRotated()
    {
        var rotation = await RotateAsync(Key());
        var (approval, petition) = await WaitForPetitionAsync(rotation);

        await fixture.Client.RaiseEventAsync(approval, "Cancel", new { Reason = "rotated by other means" });
        var result = await ResultAsync(rotation);

        Assert.Equal("Cancelled", Refusal(result));
        Assert.Equal(IndentPhases.Closed, (await fixture.Approvals.Indent.GetPetitionAsync(petition)).Phase);
        Assert.Equal(0, Rotations(rotation));
    }
}
