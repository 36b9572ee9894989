using Approvals.Core.Step;
using Approvals.Core.Workflow;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Approvals.Core.Tests.Step;

/// <summary>Claim 4: a consumer registering the packaged step with <c>AddApprovalStep</c> can start it with settings it
/// can provide, and a missing one stops the app at start, naming it.</summary>
public sealed class StepSettingsAttackTests
{
    static readonly Dictionary<string, string?> Complete = new()
    {
        ["INDENT_SPACE"] = "acme",
        ["INDENT_BASE_URL"] = "http://127.0.0.1:1/",
        ["INDENT_API_TOKEN"] = "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ3b3JrZmxvd0BhY21lLnRlc3QifQ.c2lnbmF0dXJl",
        ["INDENT_WEBHOOK_SECRET"] = "whsec_consumer_secret_0123456789",
        ["APPROVALS_SEAL_KEY"] = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff",
    };

    static IHost Build(Dictionary<string, string?> settings)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(settings);
        builder.Services.AddApprovalStep(builder.Configuration);
        return builder.Build();
    }

    [Fact]
    public async Task CompleteSettings_Start_AndTheStepsActivitiesResolve()
    {
        using var host = Build(Complete);
        await host.StartAsync();
        Assert.NotNull(host.Services.GetRequiredService<CreatePetitionActivity>());
        Assert.NotNull(host.Services.GetRequiredService<GetPetitionActivity>());
        Assert.NotNull(host.Services.GetRequiredService<ClosePetitionActivity>());
        await host.StopAsync();
    }

    [Theory]
    [InlineData("APPROVALS_SEAL_KEY")]
    [InlineData("INDENT_API_TOKEN")]
    [InlineData("INDENT_SPACE")]
    public async Task MissingSetting_FailsAtStart_NamingIt(string missing)
    {
        var settings = new Dictionary<string, string?>(Complete);
        settings.Remove(missing);
        Exception? failure = null;
        try
        {
            using var host = Build(settings);
            await host.StartAsync();
            await host.StopAsync();
        }
        catch (Exception e) when (e is InvalidOperationException or Microsoft.Extensions.Options.OptionsValidationException)
        {
            failure = e;
        }

        Assert.True(failure is not null, $"an app registering AddApprovalStep without {missing} started; it would fail only at its first approval");
        Assert.Contains(missing, failure!.Message, StringComparison.Ordinal);
    }
}
