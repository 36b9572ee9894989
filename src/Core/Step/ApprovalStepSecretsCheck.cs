using Approvals.Core.Secrets;
using Microsoft.Extensions.Hosting;

namespace Approvals.Core.Step;

/// <summary>Fails an app that registered the approval step (<see cref="ApprovalStepExtensions.AddApprovalStep(Microsoft.Extensions.DependencyInjection.IServiceCollection, Microsoft.Extensions.Configuration.IConfiguration)"/>)
/// at start, naming the setting and never its value, when a secret every approval needs cannot be read: the Indent API
/// token (<c>INDENT_API_TOKEN</c>) and the petition seal key (<c>APPROVALS_SEAL_KEY</c>). Without it the app would start
/// and fail only at its first approval. The webhook secret is not checked: an app that does not map the webhook polls.</summary>
public sealed class ApprovalStepSecretsCheck(ISecretProvider secrets) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await RequiredSecretsCheck.CheckIndentTokenAsync(secrets, cancellationToken);
        await RequiredSecretsCheck.CheckSealKeyAsync(secrets, cancellationToken);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
